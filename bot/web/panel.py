"""The staff side of the web app: login sessions, CSRF, roles, the handoff queue, the assist card,
the ticket queue and the audit log, as JSON under `/api/` (the panel page at `/agent` uses them).

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
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Awaitable, Callable, Dict, Optional

from aiohttp import web

from bot import runtime
from bot.common.settings import Settings
from bot.services import agent_desk, assist, staff, ticket_desk

log = logging.getLogger(__name__)

COOKIE = "panel_session"
CSRF_HEADER = "X-CSRF-Token"
MAX_BODY = 16 * 1024
# Routes under /api/ that belong to the customer web chat, not to staff (demo mode only).
CUSTOMER_ROUTES = frozenset({"/api/demo-customers", "/api/demo-login", "/api/csat"})
PUBLIC_ROUTES = frozenset({"/api/login"}) | CUSTOMER_ROUTES
STAFF_KEY = "staff_login"
SETTINGS = web.AppKey("panel_settings", Settings)
STORE = web.AppKey("panel_store", Callable)
RASA = web.AppKey("panel_rasa", Callable)


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # money and rates stay exact
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
    """Filters: status (comma-separated), source, category, assignee (a login, `me` or `none`), sla
    (`overdue`: a clock past due; `warning`: about to escalate)."""
    query = request.query
    statuses = [s for s in query.get("status", "").split(",") if s] or None
    assignee = query.get("assignee") or None
    if assignee == "me":
        assignee = request[STAFF_KEY].member.login
    elif assignee == "none":
        assignee = ticket_desk.UNASSIGNED
    try:
        return _reply(ticket_desk.queue(
            request.app[STORE](), runtime.kb(), statuses, source=query.get("source") or None,
            category=query.get("category") or None, assignee=assignee, sla=query.get("sla") or None))
    except ValueError:
        return _error(400, "unknown status, source or sla filter")


async def ticket_options(request: web.Request) -> web.Response:
    return _reply(ticket_desk.options(request.app[STORE](), runtime.kb()))


async def ticket_assign(request: web.Request) -> web.Response:
    """`{"to": login}` or `{"to": null}`: agents take unassigned tickets or let go of their own;
    supervisors assign to anyone in the agents table."""
    body = await _body(request)
    to = body.get("to")
    if "to" not in body or (to is not None and (not isinstance(to, str) or not to.strip())):
        return _error(400, "to (a login, or null) is required")
    try:
        row = ticket_desk.assign(request.app[STORE](), runtime.kb(), request[STAFF_KEY].member,
                                 request.match_info["ticket_id"], to.strip() if to else None)
    except ticket_desk.TicketNotFound:
        return _error(404, "no such ticket")
    except ticket_desk.AssignmentRefused as exc:
        return _error(403, str(exc))
    except ticket_desk.UnknownAgent:
        return _error(400, "no such agent")
    return _reply(row)


async def ticket_register(request: web.Request) -> web.Response:
    """Registers a complaint forwarded by the 12386 hotline (the only source staff file by hand):
    201 with the ticket, or 200 with the one already registered for this 12386 reference."""
    body = await _body(request)
    if body.get("source") != "12386":
        return _error(400, "source must be 12386: other tickets are filed by the assistant")
    required = [body.get(name) for name in ("reference", "category", "description")]
    optional = [body.get(name) for name in ("contact_phone", "customer_id")]
    if not all(isinstance(v, str) and v.strip() for v in required) or not all(
            v is None or isinstance(v, str) for v in optional):
        return _error(400, "reference, category and description are required text")
    reference, category, description = (v.strip() for v in required)
    if len(description) > 2000:
        return _error(400, "description: at most 2000 characters")
    phone, customer = ((v or "").strip() or None for v in optional)
    try:
        row, created = ticket_desk.register_12386(
            request.app[STORE](), runtime.kb(), request[STAFF_KEY].member.login,
            ticket_desk.ForwardedComplaint(reference, category, description, phone, customer))
    except ticket_desk.InvalidForwarded as exc:
        return _error(400, str(exc))
    return _reply(row, 201 if created else 200)


async def ticket_history(request: web.Request) -> web.Response:
    return _reply(ticket_desk.events(request.app[STORE](), request.match_info["ticket_id"]))


async def ticket_transition(request: web.Request) -> web.Response:
    body = await _body(request)
    to_status, reason = body.get("to"), body.get("note")
    if not isinstance(to_status, str) or (reason is not None and not isinstance(reason, str)):
        return _error(400, "to (a status) is required; note is optional text")
    try:
        row = ticket_desk.move(request.app[STORE](), runtime.kb(), request[STAFF_KEY].member.login,
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


async def assist_card(request: web.Request) -> web.Response:
    """The assist card for pasted text (`text`) or the conversation the agent holds (`conversation_id`)."""
    body = await _body(request)
    text, conversation = body.get("text"), body.get("conversation_id")
    if conversation is not None and (not isinstance(conversation, str) or not conversation.strip()):
        return _error(400, "conversation_id must be a conversation's id")
    if text is not None and (not isinstance(text, str) or not text.strip() or len(text) > assist.MAX_TEXT):
        return _error(400, f"text (1 to {assist.MAX_TEXT} characters) is required")
    if text is None and conversation is None:
        return _error(400, "text or conversation_id is required")
    login, store, rasa = request[STAFF_KEY].member.login, request.app[STORE](), request.app[RASA]()
    try:
        if text is not None:
            found = await assist.assist_text(store, runtime.kb(), rasa, login, text, conversation_id=conversation)
        else:
            found = await assist.assist_conversation(store, runtime.kb(), rasa, login, conversation)
    except assist.NotYourConversation:
        return _error(403, "this conversation is not yours")
    except assist.NothingToRead:
        return _error(404, "the customer has not written yet")
    except agent_desk.RasaUnavailable:
        log.exception("assist: the NLU could not be reached")
        return _error(503, "the assistant cannot read the message right now")
    return _reply(found)


async def assist_feedback(request: web.Request) -> web.Response:
    body = await _body(request)
    assist_id, suggestion, event = body.get("assist_id"), body.get("suggestion_id"), body.get("event")
    if (not isinstance(assist_id, str) or not isinstance(suggestion, str) or len(assist_id) > 32
            or len(suggestion) > 80 or event not in assist.FEEDBACK_EVENTS):
        return _error(400, "assist_id, suggestion_id and event (used or edited) are required")
    try:
        recorded = assist.record_feedback(request.app[STORE](), request[STAFF_KEY].member.login, assist_id,
                                          suggestion, event)
    except assist.UnknownSuggestion:
        return _error(404, "no such suggestion was shown to you")
    return _reply({"recorded": recorded})


async def assist_fees(request: web.Request) -> web.Response:
    body = await _body(request)
    try:
        quote = assist.quote_fees(runtime.kb(), side=body.get("side"), price=body.get("price"),
                                  quantity=body.get("quantity"), market=body.get("market", "sh"),
                                  rate_per_ten_thousand=body.get("rate_per_ten_thousand"))
    except ValueError as exc:
        return _error(400, str(exc))
    return _reply(quote)


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
    app.router.add_post("/api/tickets", ticket_register)
    app.router.add_get("/api/ticket-options", ticket_options)
    app.router.add_post("/api/tickets/{ticket_id}/assign", ticket_assign)
    app.router.add_get("/api/tickets/{ticket_id}/history", ticket_history)
    app.router.add_post("/api/tickets/{ticket_id}/transition", ticket_transition)
    app.router.add_post("/api/tickets/{ticket_id}/notes", ticket_note)
    app.router.add_get("/api/audit", audit_log)
    app.router.add_post("/api/assist", assist_card)
    app.router.add_post("/api/assist/feedback", assist_feedback)
    app.router.add_post("/api/assist/fees", assist_fees)
