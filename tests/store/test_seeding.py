"""Demo data is loaded on first start and a restart changes nothing."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from bot.store import agents, customers
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
    demo = agents.demo_agents("agent-pass-from-env", "lead-pass-from-env")
    assert agents.seed_demo_agents(session, demo, now) == 2
    assert agents.seed_demo_agents(session, agents.demo_agents("changed", "changed"), now) == 0  # never reset
    session.commit()
    assert session.execute(select(func.count()).select_from(Agent)).scalar_one() == 2
    supervisor = agents.authenticate(session, "lead01", "lead-pass-from-env")
    assert supervisor is not None and supervisor.role == "supervisor"
    assert agents.authenticate(session, "agent01", "agent-pass-from-env").role == "agent"
    assert agents.authenticate(session, "agent01", "changed") is None
    assert agents.authenticate(session, "nobody", "agent-pass-from-env") is None
    assert "agent-pass-from-env" not in agents.get_agent(session, "agent01").password_hash
    assert agents.demo_agents("", "") == ()  # no password, no login


def test_password_hashes_are_salted_and_verified() -> None:
    first, second = agents.hash_password("s3cret"), agents.hash_password("s3cret")
    assert first != second and first.startswith("scrypt$")
    assert agents.verify_password("s3cret", first) and agents.verify_password("s3cret", second)
    assert not agents.verify_password("S3cret", first)
    assert not agents.verify_password("s3cret", "garbage")
    assert not agents.verify_password("s3cret", "pbkdf2$1$2$3$4$5")
