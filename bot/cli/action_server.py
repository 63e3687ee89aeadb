"""`python -m bot.cli.action_server`: the Rasa action server (actions/), closed by default.

It listens on `ACTION_SERVER_HOST` (loopback unless set) and answers `/webhook` only to a caller that
sends `X-Action-Token` — Rasa does (endpoints.yml); a direct POST with a forged sender and slots does
not. Outside demo mode it refuses to start without its secrets.
"""
from __future__ import annotations

import hmac
import logging

from rasa_sdk.endpoint import create_app
from sanic import response

from bot.common.privacy import install_log_masking
from bot.common.settings import get_settings

TOKEN_HEADER = "X-Action-Token"
log = logging.getLogger(__name__)


def app(token: str):
    server = create_app("actions", cors_origins=[])

    @server.middleware("request")
    async def only_rasa(request):  # type: ignore[no-untyped-def]
        if request.path.rstrip("/") in ("", "/health"):
            return None
        given = request.headers.get(TOKEN_HEADER, "")
        if not (token and hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))):
            log.warning("action server: refused a call to %s without the action token", request.path)
            return response.json({"error": f"missing or invalid {TOKEN_HEADER}"}, status=401)
        return None

    return server


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    install_log_masking()
    settings = get_settings().require("BOT_IDENTITY_SECRET", "ACTION_SERVER_TOKEN")
    app(settings.action_server_token).run(settings.action_server_host, settings.action_server_port,
                                          workers=1, access_log=False)


if __name__ == "__main__":
    main()
