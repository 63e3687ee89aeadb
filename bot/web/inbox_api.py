"""The agents' inbox and customer card under `/api/` (behind the panel's session, CSRF and role
checks in bot.web.panel), the live-update stream, the customer's CSAT rating, and the task that
keeps the inbox fed from Rasa's event broker.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator, Optional

from aiohttp import web

from bot.common.chat_sessions import issued_here
from bot.services import csat, customer_card, event_feed, inbox
from bot.web.panel import SETTINGS, STAFF_KEY, STORE, _body, _error, _reply

log = logging.getLogger(__name__)

# The stream looks for changes this often; with the feed's own poll a customer's message is on the
# agent's screen within a second.
STREAM_CHECK_SECONDS = 0.3
STREAM_KEEPALIVE_SECONDS = 15
MAX_LIMIT = 500
FEED_TASK = web.AppKey("inbox_feed_task", asyncio.Task)
CLOSING = web.AppKey("inbox_streams_closing", asyncio.Event)


def _filter(request: web.Request) -> inbox.InboxFilter:
    query = request.query
    statuses = [s for s in query.get("status", "").split(",") if s]
    channels = [c for c in query.get("channel", "").split(",") if c]
    if any(s not in inbox.STATUSES for s in statuses):
        raise web.HTTPBadRequest(text='{"error": "unknown status"}', content_type="application/json")
    try:
        limit = min(MAX_LIMIT, max(1, int(query.get("limit", "100"))))
    except ValueError:
        raise web.HTTPBadRequest(text='{"error": "limit must be a number"}', content_type="application/json")
    flags = set(query.get("flag", "").split(","))
    return inbox.recent_filter(statuses=statuses or None, channels=channels or None,
                               fallback="fallback" in flags, low_confidence="low_confidence" in flags,
                               longest_waiting=query.get("sort") == "waiting", limit=limit)


async def inbox_list(request: web.Request) -> web.Response:
    wanted = _filter(request)
    rows = await asyncio.to_thread(inbox.view, request.app[STORE](), wanted)
    return _reply(rows)


async def inbox_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: `changed` whenever the inbox or the handoff queue changes."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
    await response.prepare(request)
    store = request.app[STORE]()
    last: Optional[tuple] = None
    quiet = 0.0
    closing = request.app[CLOSING]
    try:
        while not closing.is_set():
            version = await asyncio.to_thread(inbox.version, store)
            if version != last:
                last = version
                quiet = 0.0
                await response.write(b"event: changed\ndata: {}\n\n")
            elif quiet >= STREAM_KEEPALIVE_SECONDS:
                quiet = 0.0
                await response.write(b": keepalive\n\n")
            await asyncio.sleep(STREAM_CHECK_SECONDS)
            quiet += STREAM_CHECK_SECONDS
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


async def customer_view(request: web.Request) -> web.Response:
    try:
        found = await asyncio.to_thread(customer_card.card, request.app[STORE](), request.match_info["customer_id"])
    except customer_card.UnknownCustomer:
        return _error(404, "no such customer")
    return _reply(found)


async def customer_reveal(request: web.Request) -> web.Response:
    """One personal field in full; the reason is required and written to the audit log first."""
    body = await _body(request)
    field, reason = body.get("field"), body.get("reason")
    if not isinstance(field, str) or not isinstance(reason, str):
        return _error(400, "field and reason are required")
    try:
        value = await asyncio.to_thread(customer_card.reveal, request.app[STORE](), request[STAFF_KEY].member.login,
                                        request.match_info["customer_id"], field, reason)
    except customer_card.UnknownCustomer:
        return _error(404, "no such customer")
    except customer_card.RevealRefused as exc:
        return _error(400, str(exc))
    return _reply({"field": field, "value": value})


async def rate_conversation(request: web.Request) -> web.Response:
    """The web-chat customer's 1–5 rating, in the name of the session the server issued to them."""
    body = await _body(request)
    session_id, score = body.get("session_id"), body.get("score")
    if not issued_here(session_id, request.app[SETTINGS].identity_secret):
        return _error(403, "not a chat session of this site")
    if isinstance(score, bool) or not isinstance(score, int) or score not in csat.SCORES:
        return _error(400, "score must be a whole number from 1 to 5")
    result = await asyncio.to_thread(csat.rate, request.app[STORE](), session_id, score)
    if result is csat.Rated.NOT_ASKED:
        return _error(409, "no rating was asked in this conversation")
    return _reply({"status": result.value})


async def _close_streams(app: web.Application) -> None:
    # Open event streams would otherwise hold a stopping server until its shutdown timeout.
    app[CLOSING].set()


async def _feed(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    task = None
    if settings.inbox_feed:
        task = asyncio.create_task(event_feed.follow(app[STORE](), settings.event_source, settings.event_queue))
        app[FEED_TASK] = task
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def install(app: web.Application) -> None:
    """Adds the inbox routes to an app that already has the panel (bot.web.panel.install)."""
    app.router.add_get("/api/inbox", inbox_list)
    app.router.add_get("/api/inbox/stream", inbox_stream)
    app.router.add_get("/api/customers/{customer_id}", customer_view)
    app.router.add_post("/api/customers/{customer_id}/reveal", customer_reveal)
    app.router.add_post("/api/csat", rate_conversation)
    app[CLOSING] = asyncio.Event()
    app.on_shutdown.append(_close_streams)
    app.cleanup_ctx.append(_feed)
