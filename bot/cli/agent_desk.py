"""`python -m bot.cli.agent_desk`: the agent desk on the command line (a client of the agent-desk service)."""
from __future__ import annotations

import argparse
import asyncio
from typing import List, Optional

from bot import runtime
from bot.common.settings import get_settings
from bot.services.agent_desk import conversations, hand_back, take_next


def main(argv: Optional[List[str]] = None) -> int:
    """`python -m bot.cli.agent_desk next AGENT | say CONVERSATION TEXT | done HANDOFF CONVERSATION`."""
    parser = argparse.ArgumentParser(prog="python -m bot.cli.agent_desk", description=main.__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    take = commands.add_parser("next")
    take.add_argument("agent")
    say = commands.add_parser("say")
    say.add_argument("conversation")
    say.add_argument("text")
    done = commands.add_parser("done")
    done.add_argument("handoff", type=int)
    done.add_argument("conversation")
    args = parser.parse_args(argv)
    rasa, store = conversations(get_settings()), runtime.store()
    if args.command == "next":
        taken = asyncio.run(take_next(store, args.agent, rasa))
        print("nobody is waiting" if taken is None else f"handoff {taken.handoff_id}: {taken.conversation_id} ({taken.tier})")
    elif args.command == "say":
        asyncio.run(rasa.say(args.conversation, args.text))
    else:
        asyncio.run(hand_back(store, args.handoff, args.conversation, rasa))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
