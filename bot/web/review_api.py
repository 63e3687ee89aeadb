"""The supervisor's review loop under `/api/review/` (supervisors only; changes carry the session's
CSRF token, checked by bot.web.panel, and are audit-logged): the review queue, one conversation with
its transcript, tags / flag / reviewed, the knowledge gaps, and proposals of training examples and kb
article drafts that become reviewed file changes (bot/services/review_proposals.py).
"""
from __future__ import annotations

import asyncio
import dataclasses
from typing import Any, Dict, Optional

from aiohttp import web

from bot.services import knowledge_gaps, review, review_proposals, staff
from bot.web.panel import RASA, STAFF_KEY, STORE, _body, _error, _reply, supervisors_only

FILES = web.AppKey("review_files", review_proposals.ReviewFiles)
MAX_LIMIT = 500
REVIEW_FLAGS = ("fallback", "low_confidence", "handoff", "low_csat")


def _int(value: str, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(value))) if value else default
    except ValueError:
        raise web.HTTPBadRequest(text='{"error": "a number was expected"}', content_type="application/json")


@supervisors_only
async def review_queue(request: web.Request) -> web.Response:
    """Filters: `flag` (comma-separated: fallback, low_confidence, handoff, low_csat; each narrows),
    `state` (all / unreviewed / reviewed / flagged), `days` (activity since), `limit`."""
    query = request.query
    flags = [f for f in query.get("flag", "").split(",") if f]
    if any(f not in REVIEW_FLAGS for f in flags):
        return _error(400, "flag: " + ", ".join(REVIEW_FLAGS))
    try:
        wanted = review.review_filter(days=_int(query.get("days", ""), review.DEFAULT_DAYS, 1, 365),
                                      limit=_int(query.get("limit", ""), 100, 1, MAX_LIMIT),
                                      state=query.get("state") or "all", **{f: True for f in flags})
    except ValueError as exc:
        return _error(400, str(exc))
    return _reply(await asyncio.to_thread(review.queue, request.app[STORE](), wanted))


@supervisors_only
async def review_conversation(request: web.Request) -> web.Response:
    try:
        found = await review.conversation(request.app[STORE](), request.match_info["conversation_id"],
                                          request.app[RASA]())
    except review.UnknownConversation:
        return _error(404, "no such conversation")
    return _reply(found)


@supervisors_only
async def review_update(request: web.Request) -> web.Response:
    """`{"tags": [...], "flagged": bool, "reviewed": bool}`, each optional."""
    body = await _body(request)
    tags, flagged, reviewed = body.get("tags"), body.get("flagged"), body.get("reviewed")
    if (tags is not None and not isinstance(tags, list)) or any(
            v is not None and not isinstance(v, bool) for v in (flagged, reviewed)):
        return _error(400, "tags is a list of text; flagged and reviewed are true or false")
    if tags is None and flagged is None and reviewed is None:
        return _error(400, "nothing to change")
    login, conversation_id = request[STAFF_KEY].member.login, request.match_info["conversation_id"]
    store = request.app[STORE]()
    try:
        state = await asyncio.to_thread(review.update, store, login, conversation_id, tags=tags, flagged=flagged,
                                        reviewed=reviewed)
    except review.UnknownConversation:
        return _error(404, "no such conversation")
    except ValueError as exc:
        return _error(400, str(exc))
    changed = {k: v for k, v in (("tags", state.tags if tags is not None else None), ("flagged", flagged),
                                 ("reviewed", reviewed)) if v is not None}
    staff.audit(store, login, "conversation_reviewed", conversation_id,
                "; ".join(f"{k}={v}" for k, v in changed.items()))
    return _reply(state)


@supervisors_only
async def gap_list(request: web.Request) -> web.Response:
    days = _int(request.query.get("days", ""), knowledge_gaps.DEFAULT_DAYS, 1, 365)
    return _reply(await asyncio.to_thread(knowledge_gaps.gaps, request.app[STORE](), days))


def _proposal_view(proposal: review_proposals.Proposal) -> Dict[str, Any]:
    return dataclasses.asdict(proposal)


def _origin(store, body: Dict[str, Any]) -> Optional[Dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Where the proposal comes from: an unanswered message (by its id) or a reviewed conversation."""
    message_id, conversation_id = body.get("message_id"), body.get("conversation_id")
    if message_id is not None:
        if isinstance(message_id, bool) or not isinstance(message_id, int):
            raise ValueError("message_id must be an unanswered message's id")
        found = knowledge_gaps.message(store, message_id)
        if found is None:
            raise ValueError("no such unanswered message")
        return {"message_id": found.message_id, "conversation_id": found.conversation_id}
    if conversation_id is not None:
        if not isinstance(conversation_id, str) or not conversation_id or len(conversation_id) > 128:
            raise ValueError("conversation_id must be a conversation's id")
        return {"conversation_id": conversation_id}
    return None


@supervisors_only
async def proposal_create(request: web.Request) -> web.Response:
    """`{"kind": "example", "text", "intent"}` or `{"kind": "article", "article": {id, topic, title,
    answer, short, source, effective, questions, verified}}`, optionally with `message_id` or
    `conversation_id`. Answers 201 with the proposal and its validation output (which takes seconds)."""
    body = await _body(request)
    login, store, files = request[STAFF_KEY].member.login, request.app[STORE](), request.app[FILES]
    kind = body.get("kind")
    try:
        origin = _origin(store, body)
        if kind == "example":
            proposal = await asyncio.to_thread(review_proposals.propose_example, files, login, body.get("text"),
                                               body.get("intent"), origin)
        elif kind == "article":
            if not isinstance(body.get("article"), dict):
                return _error(400, "article: the draft's fields")
            proposal = await asyncio.to_thread(review_proposals.propose_article, files, login, body["article"], origin)
        else:
            return _error(400, "kind must be example or article")
    except ValueError as exc:  # InvalidProposal included
        return _error(400, str(exc))
    staff.audit(store, login, "change_proposed", proposal.id, f"{proposal.summary} | {proposal.status}")
    return _reply(_proposal_view(proposal), 201)


@supervisors_only
async def proposal_list(request: web.Request) -> web.Response:
    found = await asyncio.to_thread(review_proposals.proposals, request.app[FILES])
    return _reply([{k: v for k, v in _proposal_view(p).items() if k not in ("diff", "fragment", "validation")}
                   | {"valid": p.validation.get("ok")} for p in found])


@supervisors_only
async def proposal_show(request: web.Request) -> web.Response:
    try:
        return _reply(_proposal_view(review_proposals.get(request.app[FILES], request.match_info["proposal_id"])))
    except review_proposals.UnknownProposal:
        return _error(404, "no such proposal")


@supervisors_only
async def proposal_approve(request: web.Request) -> web.Response:
    login, store = request[STAFF_KEY].member.login, request.app[STORE]()
    try:
        proposal = await asyncio.to_thread(review_proposals.approve, request.app[FILES], login,
                                           request.match_info["proposal_id"])
    except review_proposals.UnknownProposal:
        return _error(404, "no such proposal")
    except review_proposals.ProposalRefused as exc:
        return _error(409, str(exc))
    staff.audit(store, login, "change_approved", proposal.id,
                f"{proposal.summary} | proposed by {proposal.proposed_by} | files: {', '.join(proposal.files)}")
    return _reply(_proposal_view(proposal))


def install(app: web.Application, files: Optional[review_proposals.ReviewFiles] = None) -> None:
    """Adds the review routes to an app that already has the panel (bot.web.panel.install); `files`
    replaces the project's repo and workspace (tests point it at a copy)."""
    app[FILES] = files or review_proposals.ReviewFiles.of_project()
    app.router.add_get("/api/review/conversations", review_queue)
    app.router.add_get("/api/review/conversations/{conversation_id}", review_conversation)
    app.router.add_post("/api/review/conversations/{conversation_id}", review_update)
    app.router.add_get("/api/review/gaps", gap_list)
    app.router.add_get("/api/review/proposals", proposal_list)
    app.router.add_post("/api/review/proposals", proposal_create)
    app.router.add_get("/api/review/proposals/{proposal_id}", proposal_show)
    app.router.add_post("/api/review/proposals/{proposal_id}/approve", proposal_approve)
