"""`python -m bot.cli.agent_desk`: the agent desk on the command line (a client of the agent-desk service).

Every command runs as a staff login checked against the `agents` table: `--login`, and the password
from `BOT_AGENT_PASSWORD` or asked at the prompt (never on the command line, where `ps` shows it).
`say` and `done` act only on a handoff the login holds, for the conversation it belongs to.
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from typing import List, Optional

from bot import runtime
from bot.common.settings import get_settings
from bot.services.agent_desk import NotYourHandoff, conversations, hand_back, say, take_next
from bot.services.staff import authenticate


def main(argv: Optional[List[str]] = None) -> int:
    """`--login L next | say HANDOFF CONVERSATION TEXT | done HANDOFF CONVERSATION`."""
    parser = argparse.ArgumentParser(prog="python -m bot.cli.agent_desk", description=main.__doc__)
    parser.add_argument("--login", required=True, help="the agent's login (agents table)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("next", help="take the head of the queue")
    speak = commands.add_parser("say", help="send a message in a handoff you hold")
    speak.add_argument("handoff", type=int)
    speak.add_argument("conversation")
    speak.add_argument("text")
    done = commands.add_parser("done", help="hand a conversation you hold back to the bot")
    done.add_argument("handoff", type=int)
    done.add_argument("conversation")
    args = parser.parse_args(argv)
    password = os.environ.get("BOT_AGENT_PASSWORD") or getpass.getpass(f"{args.login} password: ")
    store = runtime.store()
    agent = authenticate(store, args.login, password)
    if agent is None:
        print("login refused", file=sys.stderr)
        return 2
    rasa = conversations(get_settings())
    try:
        if args.command == "next":
            taken = asyncio.run(take_next(store, agent.login, rasa))
            print("nobody is waiting" if taken is None else f"handoff {taken.handoff_id}: {taken.conversation_id} ({taken.tier})")
        elif args.command == "say":
            asyncio.run(say(store, agent.login, args.handoff, args.conversation, args.text, rasa))
        else:
            asyncio.run(hand_back(store, agent.login, args.handoff, args.conversation, rasa))
    except NotYourHandoff as exc:
        print(exc, file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
