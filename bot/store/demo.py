"""First-start demo data: the kb's demo customers and the demo agent logins, idempotently."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml
from sqlalchemy.orm import Session

from bot.store.agents import seed_demo_agents
from bot.store.customers import seed_demo_customers


def demo_customers(kb_dir: Optional[Path] = None) -> List[Any]:
    """The demo customers from the knowledge base (bot.kb), or straight from kb/customers.yml."""
    try:
        from bot.kb import load_kb  # type: ignore[attr-defined]

        return list(load_kb(kb_dir).customers if kb_dir is not None else load_kb().customers)
    except (ImportError, AttributeError):
        pass
    if kb_dir is None:
        from bot.settings import get_settings

        kb_dir = get_settings().kb_dir
    path = Path(kb_dir) / "customers.yml"
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return list(data.get("customers", []) if isinstance(data, dict) else data)


def seed_demo_data(session: Session, now: datetime, customers: Optional[List[Any]] = None) -> Dict[str, int]:
    """Inserts what is missing; returns how many customers and agents were created."""
    records = demo_customers() if customers is None else customers
    return {
        "customers": seed_demo_customers(session, records),
        "agents": seed_demo_agents(session, now),
    }
