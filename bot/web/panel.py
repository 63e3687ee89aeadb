"""The staff side of the web app: login sessions, CSRF, roles, the handoff queue, the ticket queue
and the audit log, as JSON under `/api/` (the panel page at `/agent` uses them).

Closed by default: every `/api/` route here answers 401 without a live session cookie; every
state-changing request must also carry the session's CSRF token in `X-CSRF-Token` (403 otherwise);
supervisor-only routes answer 403 to agents. Every change a staff member makes is in the audit log.
"""
from __future__ import annotations

import dataclasses
import functools
import hmac
import json
import logging
from datetime import datetime
from typing import Any, Awaitable, Callable, Dict, Optional

from aiohttp import web

from bot import runtime
from bot.common.settings import Settings
from bot.services import agent_desk, staff, ticket_desk

log = logging.getLogger(__name__)

COOKIE = "panel_session"
CSRF_HEADER = "X-CSRF-Token"
MAX_BODY = 16 * 1024
# Routes under /api/ that belong to the customer web chat, not to staff (demo mode only).
CUSTOMER_ROUTES = frozenset({"/api/demo-customers", "/api/demo-login"})
PUBLIC_ROUTES = frozenset({"/api/login"}) | CUSTOMER_ROUTES
STAFF_KEY = "staff_login"
SETTINGS = web.AppKey("panel_settings", Settings)
STORE = web.AppKey("panel_store", Callable)
RASA = web.AppKey("panel_rasa", Callable)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _reply(data: Any, status: int = 200) -> web.Response:
    if dataclasses.is_dataclass(data):
        data = dataclasses.asdict(data)
    elif isinstance(data, list):
        data = [dataclasses.asdict(item) if dataclasses.is_dataclass(item) else item for item in data]
    body = json.dumps(data, ensure_ascii=False, default=_json_default)
    return web.Response(text=body, status=status, content_type="application/json",
                        headers={"Cache-Control": "no-store"})


def _error(status: int, message: str) -> web.Response:
    return _reply({"error": message}, status)


async def _body(request: web.Request) -> Dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length)
    try:
        body = json.loads(await request.text() or "{}")
    except (ValueError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text='{"error": "the body must be a JSON object"}', content_type="application/json")
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text='{"error": "the body must be a JSON object"}', content_type="application/json")
    return body


@web.middleware
async def staff_only(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    """Session, CSRF and nothing else for every staff API."""
    if not request.path.startswith("/api/") or request.path in PUBLIC_ROUTES:
        return await handler(request)
    store = request.app[STORE]()
    current = staff.session_for(store, request.cookies.get(COOKIE))
    if current is None:
        return _error(401, "please log in")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        given = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8"), current.csrf.encode("utf-8")):
            return _error(403, f"missing or wrong {CSRF_HEADER}")
    request[STAFF_KEY] = current
    return await handler(request)


def supervisors_only(handler):  # type: ignore[no-untyped-def]
    @functools.wraps(handler)
    async def checked(request: web.Request) -> web.StreamResponse:
        if not request[STAFF_KEY].member.is_supervisor:
            return _error(403, "supervisors only")
        return await handler(request)
    return checked


def _me(current: staff.StaffLogin) -> Dict[str, Any]:
    return {"login": current.member.login, "display_name": current.member.display_name,
            "role": current.member.role, "csrf": current.csrf}


async def login(request: web.Request) -> web.Response:
    body = await _body(request)
    name, password = body.get("login"), body.get("password")
    if not isinstance(name, str) or not isinstance(password, str):
        return _error(400, "login and password are required")
    current = staff.log_in(request.app[STORE](), name.strip(), password)
    if current is None:
        return _error(401, "wrong login or password")
    response = _reply(_me(current))
    response.set_cookie(COOKIE, current.token, httponly=True, samesite="Strict", path="/",
                        secure=not request.app[SETTINGS].demo_mode, max_age=int(staff.SESSION_LIFETIME.total_seconds()))
    return response


async def logout(request: web.Request) -> web.Response:
    staff.log_out(request.app[STORE](), request[STAFF_KEY])
    response = _reply({"status": "logged out"})
    response.del_cookie(COOKIE, path="/")
    return response


async def me(request: web.Request) -> web.Response:
    return _reply(_me(request[STAFF_KEY]))


async def handoff_queue(request: web.Request) -> web.Response:
    return _reply(agent_desk.queue_view(request.app[STORE]()))


async def take_next(request: web.Request) -> web.Response:
    current, store = request[STAFF_KEY], request.app[STORE]()
    try:
        taken = await agent_desk.take_next(store, current.member.login, request.app[RASA]())
    except agent_desk.RasaUnavailable:
        log.exception("take-over failed: Rasa unavailable")
        return _error(503, "the assistant cannot be paused right now; the customer stays in the queue")
    if taken is None:
        return _reply({"taken": None})
    staff.audit(store, current.member.login, "handoff_taken", taken.conversation_id, f"handoff {taken.handoff_id}")
    return _reply({"taken": dataclasses.asdict(taken)})


def _handoff_id(request: web.Request) -> int:
    try:
        return int(request.match_info["handoff_id"])
    except ValueError:
        raise web.HTTPNotFound(text='{"error": "no such handoff"}', content_type="application/json")


async def handoff_packet(request: web.Request) -> web.Response:
    try:
        found = await agent_desk.packet(request.app[STORE](), _handoff_id(request), request.app[RASA]())
    except agent_desk.NotYourHandoff:
        return _error(404, "no such handoff")
    except agent_desk.RasaUnavailable:
        return _error(503, "the conversation cannot be read right now")
    return _reply(found)


async def handoff_reply(request: web.Request) -> web.Response:
    """The agent's message to the customer. A draft that recommends, predicts or promises is refused
    (409, with the reasons) unless the agent resends it with `override` (a reason, audit-logged)."""
    body = await _body(request)
    text, override = body.get("text"), body.get("override")
    if not isinstance(text, str) or not text.strip() or len(text) > 1000:
        return _error(400, "text (1 to 1000 characters) is required")
    if override is not None and (not isinstance(override, str) or not override.strip()):
        return _error(400, "override must be the reason for sending anyway")
    current, store = request[STAFF_KEY], request.app[STORE]()
    flags = runtime.kb().scope.gives_advice(text)
    if flags and override is None:
        return _reply({"error": "compliance", "flags": flags}, 409)
    try:
        await agent_desk.say(store, current.member.login, _handoff_id(request), body.get("conversation_id") or "",
                             text, request.app[RASA]())
    except agent_desk.NotYourHandoff:
        return _error(403, "this handoff is not yours")
    except agent_desk.RasaUnavailable:
        return _error(503, "the message could not be delivered; please try again")
    if flags:
        staff.audit(store, current.member.login, "compliance_override", body.get("conversation_id"),
                    f"{'; '.join(flags)} | reason: {override} | text: {text}")
    staff.audit(store, current.member.login, "agent_message", body.get("conversation_id"))
    return _reply({"status": "sent"})


async def handoff_release(request: web.Request) -> web.Response:
    body = await _body(request)
    current, store = request[STAFF_KEY], request.app[STORE]()
    conversation = body.get("conversation_id") or ""
    try:
        await agent_desk.hand_back(store, current.member.login, _handoff_id(request), conversation,
                                   request.app[RASA]())
    except agent_desk.NotYourHandoff:
        return _error(403, "this handoff is not yours")
    except agent_desk.RasaUnavailable:
        return _error(503, "the assistant could not be resumed; please try again")
    staff.audit(store, current.member.login, "handoff_released", conversation)
    return _reply({"status": "handed back"})


async def ticket_queue(request: web.Request) -> web.Response:
    statuses = [s for s in request.query.get("status", "").split(",") if s] or None
    try:
        return _reply(ticket_desk.queue(request.app[STORE](), statuses))
    except ValueError:
        return _error(400, "unknown status")


async def ticket_history(request: web.Request) -> web.Response:
    return _reply(ticket_desk.events(request.app[STORE](), request.match_info["ticket_id"]))


async def ticket_transition(request: web.Request) -> web.Response:
    body = await _body(request)
    to_status, reason = body.get("to"), body.get("note")
    if not isinstance(to_status, str) or (reason is not None and not isinstance(reason, str)):
        return _error(400, "to (a status) is required; note is optional text")
    try:
        row = ticket_desk.move(request.app[STORE](), request[STAFF_KEY].member.login,
                               request.match_info["ticket_id"], to_status, reason)
    except ticket_desk.TicketNotFound:
        return _error(404, "no such ticket")
    except ticket_desk.IllegalTransition as exc:
        return _error(409, str(exc))
    except ValueError:
        return _error(400, "unknown status")
    return _reply(row)


async def ticket_note(request: web.Request) -> web.Response:
    body = await _body(request)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > 2000:
        return _error(400, "text (1 to 2000 characters) is required")
    try:
        ticket_desk.note(request.app[STORE](), request[STAFF_KEY].member.login, request.match_info["ticket_id"], text)
    except ticket_desk.TicketNotFound:
        return _error(404, "no such ticket")
    return _reply({"status": "noted"}, 201)


@supervisors_only
async def audit_log(request: web.Request) -> web.Response:
    return _reply(staff.audit_trail(request.app[STORE]()))


def install(app: web.Application, settings: Settings, store: Optional[Callable] = None,
            rasa: Optional[Callable] = None) -> None:
    """Adds the staff API to the web app (`store`/`rasa` replace the process's, for tests)."""
    app[SETTINGS] = settings
    app[STORE] = store or runtime.store
    app[RASA] = rasa or (lambda: agent_desk.conversations(settings))
    app.middlewares.append(staff_only)
    app.router.add_post("/api/login", login)
    app.router.add_post("/api/logout", logout)
    app.router.add_get("/api/me", me)
    app.router.add_get("/api/handoffs", handoff_queue)
    app.router.add_post("/api/handoffs/next", take_next)
    app.router.add_get("/api/handoffs/{handoff_id}/packet", handoff_packet)
    app.router.add_post("/api/handoffs/{handoff_id}/reply", handoff_reply)
    app.router.add_post("/api/handoffs/{handoff_id}/release", handoff_release)
    app.router.add_get("/api/tickets", ticket_queue)
    app.router.add_get("/api/tickets/{ticket_id}/history", ticket_history)
    app.router.add_post("/api/tickets/{ticket_id}/transition", ticket_transition)
    app.router.add_post("/api/tickets/{ticket_id}/notes", ticket_note)
    app.router.add_get("/api/audit", audit_log)
