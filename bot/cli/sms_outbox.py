"""`python -m bot.cli.sms_outbox [--once]`: the SMS sender as its own process.

For deployments that run the sender beside the Rasa servers (`SMS_OUTBOX_WORKER=0`) rather than
inside each of them; the sending itself is `bot.services.sms_outbox.OutboxWorker`.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import Optional, Sequence

from bot import runtime
from bot.common.privacy import install_log_masking
from bot.common.settings import get_settings
from bot.services.sms_outbox import OutboxConfig, OutboxWorker

log = logging.getLogger(__name__)


async def serve(worker: OutboxWorker, *, once: bool = False) -> None:
    if once:
        try:
            sent = await worker.drain()
        finally:
            await worker.stop()
        log.info("SMS outbox: %d message(s) handled", sent)
        return
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopped.set)
    await worker.start()
    try:
        await stopped.wait()
    finally:
        await worker.stop()


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.cli.sms_outbox", description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="send what is due now, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    install_log_masking()
    settings = get_settings()
    store = runtime.store()
    try:
        asyncio.run(serve(OutboxWorker(store, OutboxConfig.from_settings(settings)), once=args.once))
    finally:
        store.dispose()


if __name__ == "__main__":
    main()
