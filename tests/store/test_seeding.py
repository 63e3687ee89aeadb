"""Demo data is loaded on first start and a restart changes nothing."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from bot.store import agents, customers
from bot.store.demo import demo_customers, seed_demo_data
from bot.store.models import Agent, Customer

from .helpers import DEMO_CUSTOMERS


def test_seeding_customers_twice_inserts_once(session) -> None:  # type: ignore[no-untyped-def]
    assert customers.seed_demo_customers(session, DEMO_CUSTOMERS) == 4
    session.commit()
    assert customers.seed_demo_customers(session, DEMO_CUSTOMERS) == 0
    session.commit()
    assert session.execute(select(func.count()).select_from(Customer)).scalar_one() == 4

    gold = customers.get_customer(session, "C0003")
    assert gold.tier == "gold"
    assert gold.commission_rate == Decimal("0.00015") and gold.commission_minimum == Decimal("5")
    assert customers.get_customer(session, "C0004").commission_rate == Decimal("0.0001")  # float from YAML, exact
    assert customers.get_customer(session, None) is None


def test_restart_does_not_overwrite_changes(session) -> None:  # type: ignore[no-untyped-def]
    customers.seed_demo_customers(session, DEMO_CUSTOMERS)
    customers.get_customer(session, "C0001").tier = "silver"
    session.commit()
    customers.seed_demo_customers(session, DEMO_CUSTOMERS)
    assert customers.get_customer(session, "C0001").tier == "silver"


def test_customer_is_found_by_any_spelling_of_the_phone(session) -> None:  # type: ignore[no-untyped-def]
    customers.seed_demo_customers(session, DEMO_CUSTOMERS)
    for spelling in ("13800000003", "+86 138-0000-0003", "8613800000003", "0086 138 0000 0003"):
        assert customers.find_by_phone(session, spelling).id == "C0003"
    assert customers.find_by_phone(session, "13999999999") is None
    assert customers.find_by_phone(session, "") is None


def test_demo_agents_are_seeded_once_and_can_log_in(session, now) -> None:  # type: ignore[no-untyped-def]
    assert agents.seed_demo_agents(session, now) == 2
    assert agents.seed_demo_agents(session, now) == 0
    session.commit()
    assert session.execute(select(func.count()).select_from(Agent)).scalar_one() == 2
    supervisor = agents.authenticate(session, "supervisor", "supervisor-demo-pass")
    assert supervisor is not None and supervisor.role == "supervisor"
    assert agents.authenticate(session, "agent", "agent-demo-pass").role == "agent"
    assert agents.authenticate(session, "agent", "wrong") is None
    assert agents.authenticate(session, "nobody", "agent-demo-pass") is None
    assert "agent-demo-pass" not in agents.get_agent(session, "agent").password_hash


def test_password_hashes_are_salted_and_verified() -> None:
    first, second = agents.hash_password("s3cret"), agents.hash_password("s3cret")
    assert first != second and first.startswith("scrypt$")
    assert agents.verify_password("s3cret", first) and agents.verify_password("s3cret", second)
    assert not agents.verify_password("S3cret", first)
    assert not agents.verify_password("s3cret", "garbage")
    assert not agents.verify_password("s3cret", "pbkdf2$1$2$3$4$5")


def test_seed_demo_data_reads_the_kb_file(session, now, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "customers.yml").write_text(
        "customers:\n"
        "  - {id: C0001, name: 张三, tier: 普通, phone: '13800000001', commission_rate: '0.00025', commission_minimum: '5'}\n"
        "  - {id: C0003, name: 王五, tier: 金卡, phone: '13800000003', commission_rate: '0.00015', commission_minimum: '5'}\n",
        encoding="utf-8",
    )
    import bot.store.demo as demo

    monkeypatch.setitem(__import__("sys").modules, "bot.kb", None)  # as if bot.kb were not there yet
    records = demo_customers(tmp_path)
    assert [r["id"] for r in records] == ["C0001", "C0003"]
    assert seed_demo_data(session, now, records) == {"customers": 2, "agents": 2}
    assert seed_demo_data(session, now, records) == {"customers": 0, "agents": 0}
    assert demo.demo_customers(tmp_path / "missing") == []


def test_customers_without_a_negotiated_rate_use_the_fee_schedule(session) -> None:  # type: ignore[no-untyped-def]
    customers.seed_demo_customers(session, [{"id": "C0009", "name": "新客户", "tier": "normal", "phone": "13800000009"}])
    stored = customers.get_customer(session, "C0009")
    assert stored.commission_rate is None and stored.commission_minimum is None


def test_the_knowledge_base_demo_customers_load_into_the_store(session, now) -> None:  # type: ignore[no-untyped-def]
    import pytest

    pytest.importorskip("bot.kb.loader", reason="bot.kb is not available")
    assert seed_demo_data(session, now)["customers"] == 4
    gold = customers.find_by_phone(session, "13800000003")
    assert (gold.id, gold.tier, gold.commission_rate) == ("C0003", "gold", Decimal("0.00015"))
    assert {c.id: c.tier for c in session.execute(select(Customer)).scalars()} == {
        "C0001": "normal", "C0002": "silver", "C0003": "gold", "C0004": "platinum",
    }
