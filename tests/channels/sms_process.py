"""The SMS channel alone in its own process, for the test that kills a server mid-turn.

    python tests/channels/sms_process.py PORT

The real `SmsInput` in Sanic, configured from the environment like the Rasa server (DATABASE_URL,
SMS_*, BOT_IDENTITY_SECRET); the bot is scripted: it echoes, or, with SMS_TEST_HANG=1, receives a
message and never finishes its turn — the state in which the test kills the process.
"""
from __future__ import annotations

import asyncio
import os
import sys

from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.channels.sms import SmsInput


async def scripted_bot(message: UserMessage) -> None:
    print(f"turn started: {message.message_id}", flush=True)
    if os.environ.get("SMS_TEST_HANG") == "1":
        await asyncio.Event().wait()
    await message.output_channel.send_text_message(message.sender_id, f"收到：{message.text}")


def main() -> None:
    port = int(sys.argv[1])
    app = Sanic("sms_process", configure_logging=False)
    app.blueprint(SmsInput().blueprint(scripted_bot), url_prefix="/webhooks/sms")
    app.run(host="127.0.0.1", port=port, access_log=False, workers=1)


if __name__ == "__main__":
    main()
