"""The ticket queue over HTTP against a real store: the three SLA clocks and the filters, who may
assign to whom, complaints forwarded by the 12386 hotline, and CSRF and audit on every change."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.kb import load_kb
from bot.services import staff, ticket_sla
from bot.store import tickets

from .conftest import LEAD, log_in as login
from .test_panel_api import client, store  # noqa: F401  (fixtures)
from bot.web.panel import CSRF_HEADER

STATIC_DIR = Path(__file__).resolve().parents[2] / "bot" / "web" / "static"


def _file(store, key: str, created: datetime, due: datetime, **overrides) -> str:  # noqa: F811
    values = dict(idempotency_key=key, conversation_id=key, category="business_error", severity="medium",
                  priority="P2", sla_due_at=due, channel="socketio", description=f"{key} 佣金多扣了")
    values.update(overrides)
    with store.session() as session, session.begin():
        return tickets.create_ticket(session, tickets.TicketDraft(**values), created).id


def _by_id(rows):
    return {r["id"]: r for r in rows}


async def test_queue_rows_carry_three_clocks_and_filter_overdue_and_about_to_escalate(client, store) -> None:  # noqa: F811
    now = datetime.now(timezone.utc)
    # First-response promises of bot complaints run in natural hours, so these states hold at any hour.
    calm = _file(store, "calm", now, now + timedelta(hours=8))
    close = _file(store, "close", now - timedelta(hours=7, minutes=40), now + timedelta(minutes=20))
    await login(client)
    rows = await (await client.get("/api/tickets")).json()
    found = _by_id(rows)
    late = next(r["id"] for r in rows if r["overdue"])  # the fixture's ticket, due an hour ago
    assert [c["name"] for c in found[calm]["clocks"]] == ["first_response", "update", "solution"]
    assert [c["state"] for c in found[calm]["clocks"]] == ["ok", "idle", "ok"]
    assert found[close]["warning"] and found[close]["clocks"][0]["state"] == "warning"
    assert found[close]["clocks"][0]["left_minutes"] in (19, 20)
    assert [r["id"] for r in rows][:2] == [late, close]  # earliest running deadline first
    assert [r["id"] for r in await (await client.get("/api/tickets?sla=overdue")).json()] == [late]
    assert [r["id"] for r in await (await client.get("/api/tickets?sla=warning")).json()] == [close]
    assert (await client.get("/api/tickets?sla=soon")).status == 400
    assert (await client.get("/api/tickets?source=email")).status == 400


async def test_queue_filters_by_status_source_category_and_assignee(client, store) -> None:  # noqa: F811
    now = datetime.now(timezone.utc)
    mine = _file(store, "mine", now, now + timedelta(hours=8))
    forwarded = _file(store, "fwd", now, now + timedelta(hours=8), source="12386", category="data_leak")
    with store.session() as session, session.begin():
        tickets.assign(session, mine, "agent01", "lead01", now)
        tickets.transition(session, forwarded, "resolved", "lead01", now)
    await login(client)

    async def ids(query: str) -> set:
        return {r["id"] for r in await (await client.get(f"/api/tickets?{query}")).json()}

    assert await ids("source=12386") == {forwarded}
    assert await ids("category=data_leak") == {forwarded}
    assert await ids("assignee=me") == await ids("assignee=agent01") == {mine}
    assert mine not in await ids("assignee=none") and forwarded in await ids("assignee=none")
    assert await ids("status=resolved") == {forwarded}
    assert mine in await ids("status=open,in_progress")


async def test_the_first_move_stops_the_first_response_clock_and_starts_the_update_clock(client, store) -> None:  # noqa: F811
    now = datetime.now(timezone.utc)
    ticket = _file(store, "move", now, now + timedelta(hours=8))
    csrf = await login(client)
    moved = await client.post(f"/api/tickets/{ticket}/transition", json={"to": "in_progress"},
                              headers={CSRF_HEADER: csrf})
    first, update, solution = (await moved.json())["clocks"]
    assert (first["state"], first["stopped_at"] is not None) == ("met", True)
    assert update["state"] == "ok" and update["left_minutes"] == 8 * 60  # a fresh update: the full 8 working hours
    resolved = await client.post(f"/api/tickets/{ticket}/transition", json={"to": "resolved"},
                                 headers={CSRF_HEADER: csrf})
    assert [c["state"] for c in (await resolved.json())["clocks"]] == ["met", "idle", "met"]


async def test_an_agent_takes_unassigned_tickets_and_lets_go_of_their_own_only(client, store) -> None:  # noqa: F811
    now = datetime.now(timezone.utc)
    free = _file(store, "free", now, now + timedelta(hours=8))
    held = _file(store, "held", now, now + timedelta(hours=8))
    with store.session() as session, session.begin():
        tickets.assign(session, held, "lead01", "lead01", now)
    csrf = await login(client)
    headers = {CSRF_HEADER: csrf}
    taken = await client.post(f"/api/tickets/{free}/assign", json={"to": "agent01"}, headers=headers)
    assert taken.status == 200 and (await taken.json())["assignee"] == "agent01"
    assert (await client.post(f"/api/tickets/{free}/assign", json={"to": "lead01"}, headers=headers)).status == 403
    assert (await client.post(f"/api/tickets/{held}/assign", json={"to": "agent01"}, headers=headers)).status == 403
    assert (await client.post(f"/api/tickets/{held}/assign", json={"to": None}, headers=headers)).status == 403
    released = await client.post(f"/api/tickets/{free}/assign", json={"to": None}, headers=headers)
    assert released.status == 200 and (await released.json())["assignee"] is None
    assert (await client.post(f"/api/tickets/{free}/assign", json={}, headers=headers)).status == 400
    trail = [(e.actor, e.action, e.target, e.detail) for e in staff.audit_trail(store) if e.action == "ticket_assigned"]
    assert trail == [("agent01", "ticket_assigned", free, "agent01 -> -"),
                     ("agent01", "ticket_assigned", free, "- -> agent01")]
    history = await (await client.get(f"/api/tickets/{free}/history")).json()
    assert [(e["kind"], e["actor"], e["detail"]) for e in history if e["kind"] == "assigned"] == [
        ("assigned", "agent01", "- -> agent01"), ("assigned", "agent01", "agent01 -> -")]


async def test_a_supervisor_assigns_to_anyone_in_the_agents_table_and_nobody_else(client, store) -> None:  # noqa: F811
    now = datetime.now(timezone.utc)
    ticket = _file(store, "lead", now, now + timedelta(hours=8))
    headers = {CSRF_HEADER: await login(client, LEAD)}
    given = await client.post(f"/api/tickets/{ticket}/assign", json={"to": "agent01"}, headers=headers)
    assert given.status == 200 and (await given.json())["assignee"] == "agent01"
    assert (await client.post(f"/api/tickets/{ticket}/assign", json={"to": "ghost"}, headers=headers)).status == 400
    assert (await client.post("/api/tickets/CP-20990101-0001/assign", json={"to": "agent01"},
                              headers=headers)).status == 404
    options = await (await client.get("/api/ticket-options")).json()
    assert [a["id"] for a in options["agents"]] == ["agent01", "lead01"]
    assert options["sources"] == ["bot", "12386"] and {"id": "data_leak", "name": "客户资料泄露"} in options["categories"]


async def test_a_12386_forwarded_complaint_is_registered_masked_with_its_own_deadline_and_audited(client, store) -> None:  # noqa: F811
    headers = {CSRF_HEADER: await login(client)}
    form = {"source": "12386", "reference": "12386-2026-000123", "category": "data_leak",
            "description": "<img src=x onerror=alert(1)>投资者称身份证110101199003071234被泄露，电话13800001111",
            "contact_phone": "13800001111"}
    answer = await client.post("/api/tickets", json=form, headers=headers)
    assert answer.status == 201
    row = await answer.json()
    assert (row["source"], row["channel"], row["status"], row["category_name"]) == ("12386", "12386", "open", "客户资料泄露")
    assert "110101199003071234" not in row["summary"] and "13800001111" not in row["summary"]
    assert row["contact"] == "138****1111" and row["priority"] == "P1"
    created = datetime.fromisoformat(row["created_at"])
    policy = ticket_sla.policy_for(load_kb())
    assert datetime.fromisoformat(row["sla_due_at"]) == policy.working.add(created, policy.first_response_12386)
    assert row["clocks"][0]["meter"] == "working"
    again = await client.post("/api/tickets", json=form, headers=headers)
    assert again.status == 200 and (await again.json())["id"] == row["id"]  # the same forwarded item, once
    [entry] = [e for e in staff.audit_trail(store) if e.action == "ticket_registered_12386"]
    assert (entry.actor, entry.target) == ("agent01", row["id"])
    history = await (await client.get(f"/api/tickets/{row['id']}/history")).json()
    assert [(e["kind"], e["actor"]) for e in history] == [("created", "agent01")]


async def test_12386_registration_refuses_other_sources_and_incomplete_forms(client, store) -> None:  # noqa: F811
    headers = {CSRF_HEADER: await login(client)}
    good = {"source": "12386", "reference": "A-1001", "category": "other", "description": "转办：营销短信退订无效"}
    for broken in ({**good, "source": "bot"}, {k: v for k, v in good.items() if k != "source"},
                   {**good, "category": "no_such_category"}, {**good, "reference": "<b>"},
                   {**good, "description": "  "}, {**good, "customer_id": "C9999"}, {**good, "contact_phone": 138}):
        assert (await client.post("/api/tickets", json=broken, headers=headers)).status == 400, broken
    assert (await client.post("/api/tickets", json=good)).status == 403  # no CSRF token
    client.session.cookie_jar.clear()
    assert (await client.post("/api/tickets", json=good, headers=headers)).status == 401
    assert (await client.post("/api/tickets/CP-1/assign", json={"to": None}, headers=headers)).status == 401
    assert (await client.get("/api/ticket-options")).status == 401
    assert [e.action for e in staff.audit_trail(store) if e.action == "ticket_registered_12386"] == []


def test_the_ticket_script_never_writes_html_from_text() -> None:
    script = (STATIC_DIR / "agent-tickets.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
