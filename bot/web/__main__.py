"""`python -m bot.web`: serve the web chat on `BOT_WEB_HOST`:`BOT_WEB_PORT` (default 127.0.0.1:8000)."""
from __future__ import annotations

import logging

from aiohttp import web

from bot.common.settings import get_settings
from bot.web.app import create_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings().require("BOT_IDENTITY_SECRET")
    logging.getLogger(__name__).info(
        "web chat on http://%s:%s/ (Rasa socket.io at %s)", settings.web_host, settings.web_port, settings.rasa_socket_url
    )
    web.run_app(create_app(settings), host=settings.web_host, port=settings.web_port, print=None)


if __name__ == "__main__":
    main()
