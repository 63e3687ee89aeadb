"""`kb/branch.yml`: the branch's own figures and promises — one place, each approved by name and date.

Points per yuan, referral points, tier multipliers, the lowest commission each tier may be offered,
the complaint-time factor per tier, the ticket desk's deadlines, the call-back promise, opening hours,
which SMS products are paid: no regulator sets these, the branch does. They live here once; every
other kb file that shows one writes a placeholder `{branch.<name>}` (or `{branch.<name>.<key>}` for a
per-tier value), filled in when the file is loaded (`fill`). A customer is told such a figure as
本营业部规定, never with a regulator's name.

`documents` lists the branch's own documents (service system, notices, approval limits); a source
that names 本营业部… must be one of them (`python -m bot.kb check`).
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import yaml
from pydantic import Field, validator

from bot.kb.models import Record

BRANCH_FILE = "branch.yml"
POLICY = "本营业部规定"
# `{branch.points_per_yuan}`, `{branch.tier_points_multiplier.gold}`.
PLACEHOLDER = re.compile(r"\{branch\.([a-z][a-z0-9_]*)(?:\.([a-z][a-z0-9_]*))?\}")

Scalar = Union[bool, int, Decimal, str]


class Approval(Record):
    approved_by: str = Field(..., min_length=2)
    approved: date


class BranchDocument(Approval):
    """A document of the branch's own (its name is what sources cite)."""

    name: str = Field(..., regex=r"^本营业部")
    effective: date


class BranchValue(Approval):
    """One branch figure: its value (or one per tier/product), what it is, and who approved it when."""

    policy: str
    # points, multiplier, rate, factor, trading_days, hours (a time range), business_hours (a duration in
    # working hours: trading days within hotline_hours), text, flag
    kind: str = Field(..., regex=r"^(points|multiplier|rate|factor|trading_days|hours|business_hours|text|flag)$")
    means: str = Field(..., min_length=2)
    document: str
    value: Any  # a scalar, or a mapping (tier id / product id → scalar); kept as YAML typed it
    note: Optional[str] = None

    @validator("value", pre=True)
    def _exact_scalars(cls, value: Any) -> Any:
        values = list(value.values()) if isinstance(value, dict) else [value]
        if not values:
            raise ValueError("must not be empty")
        for item in values:
            if isinstance(item, float):
                raise ValueError("write numbers with a fraction as quoted strings (exact, not float)")
            if not isinstance(item, (bool, int, str)):
                raise ValueError(f"must be a number, text or true/false, not {type(item).__name__}")
        return value

    @validator("policy")
    def _marked_as_branch_policy(cls, value: str) -> str:
        if value != POLICY:
            raise ValueError(f"policy must be {POLICY!r}: these figures are the branch's own, not a regulator's")
        return value


class BranchPolicy(Record):
    documents: List[BranchDocument] = Field(..., min_items=1)
    values: Dict[str, BranchValue]

    @validator("values")
    def _documents_declared(cls, branch_values: Dict[str, BranchValue], values: dict) -> Dict[str, BranchValue]:
        documents = {d.name for d in values.get("documents", [])}
        for name, value in branch_values.items():
            if documents and value.document not in documents:
                raise ValueError(f"{name}: document {value.document!r} is not among `documents`")
        return branch_values

    def document_names(self) -> List[str]:
        return [d.name for d in self.documents]

    def raw(self, name: str, key: Optional[str] = None) -> Scalar:
        try:
            value = self.values[name].value
        except KeyError:
            raise KeyError(f"branch.yml has no value {name!r}") from None
        if isinstance(value, dict):
            if key is None or key not in value:
                raise KeyError(f"branch.yml value {name!r} needs one of the keys {sorted(value)}")
            return value[key]
        if key is not None:
            raise KeyError(f"branch.yml value {name!r} has no keys (got .{key})")
        return value

    def text(self, name: str, key: Optional[str] = None) -> str:
        """The value as written in a sentence: 1.20 → 1.2, 2.0 → 2, True → true."""
        value = self.raw(name, key)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, Decimal)) or (isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value)):
            return f"{Decimal(str(value)).normalize():f}"
        return str(value)

    def fill(self, text: str) -> str:
        """`text` with every `{branch.…}` placeholder replaced; KeyError names an unknown one."""
        return PLACEHOLDER.sub(lambda m: self.text(m.group(1), m.group(2)), text)

    def fill_data(self, data: Any) -> Any:
        """A copy of parsed YAML with the placeholders in every string filled."""
        if isinstance(data, str):
            return self.fill(data)
        if isinstance(data, list):
            return [self.fill_data(item) for item in data]
        if isinstance(data, dict):
            return {key: self.fill_data(value) for key, value in data.items()}
        return data

    def numbers(self) -> List[tuple]:
        """(kind, value, name) for every numeric figure, for the duplicate-number check."""
        found = []
        for name, record in self.values.items():
            values = record.value.values() if isinstance(record.value, dict) else [record.value]
            for value in values:
                if isinstance(value, bool) or record.kind in ("text", "flag"):
                    continue
                if record.kind == "hours":
                    found.append(("hours", str(value), name))
                    continue
                try:
                    found.append((record.kind, Decimal(str(value)), name))
                except ArithmeticError:
                    continue
        return found


def placeholders_in(data: Any) -> List[str]:
    """Every `{branch.…}` placeholder in parsed YAML."""
    if isinstance(data, str):
        return [m.group(0) for m in PLACEHOLDER.finditer(data)]
    if isinstance(data, list):
        return [p for item in data for p in placeholders_in(item)]
    if isinstance(data, dict):
        return [p for value in data.values() for p in placeholders_in(value)]
    return []


def read_branch_data(kb_dir: Path) -> Any:
    with open(Path(kb_dir) / BRANCH_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load_branch(kb_dir: Path) -> BranchPolicy:
    """Parse `<kb_dir>/branch.yml`; raises on a missing file or a schema error."""
    return BranchPolicy.parse_obj(read_branch_data(kb_dir))
