"""`kb/entities.yml`: the boards, products, fee items, banks, stocks and transfer types the NLU
recognises, each a canonical value with the names customers use for it.

`bot.nlu.entities.SecuritiesEntityExtractor` builds its patterns from `EntityCatalogue.names()`;
the dialogue shows `EntityCatalogue.label(type, value)` back to the customer.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import yaml
from pydantic import BaseModel, Extra, Field, root_validator, validator

ENTITIES_FILE = "entities.yml"
# Catalogue section → the entity type it feeds (docs/architecture.md, "NLU names").
SECTIONS: Dict[str, str] = {
    "boards": "board",
    "products": "product",
    "fee_items": "fee_item",
    "banks": "bank",
    "stocks": "stock",
    "transfer_types": "transfer_type",
}
_STOCK_CODE = re.compile(r"\d{6}")


class _Frozen(BaseModel):
    class Config:
        extra = Extra.forbid  # a misspelt field is an error, not a silently ignored one
        allow_mutation = False


class EntityEntry(_Frozen):
    """One canonical value and every name that means it; `names[0]` is the display name."""

    value: str = Field(..., min_length=1)
    names: List[str] = Field(..., min_items=1)

    @validator("names", each_item=True)
    def _name_not_blank(cls, name: str) -> str:
        if not str(name).strip():
            raise ValueError("names must not be blank")
        return str(name).strip()

    @property
    def label(self) -> str:
        return self.names[0]


class StockEntry(EntityEntry):
    """A listed stock: `value` is its six-digit code, which customers may also type."""

    board: Optional[str] = None

    @validator("value")
    def _six_digit_code(cls, value: str) -> str:
        if not _STOCK_CODE.fullmatch(value):
            raise ValueError(f"stock value must be the six-digit code, got {value!r} (quote it in YAML)")
        return value


class EntityCatalogue(_Frozen):
    source: str = Field(..., min_length=2)
    # From when the listed names and codes are current. Optional for the loader (the extractor works
    # without it), required by `python -m bot.kb check` like every other dated fact.
    effective: Optional[date] = None
    reviewed: date
    review_by: date
    boards: List[EntityEntry] = []
    products: List[EntityEntry] = []
    fee_items: List[EntityEntry] = []
    banks: List[EntityEntry] = []
    stocks: List[StockEntry] = []
    transfer_types: List[EntityEntry] = []

    @root_validator(skip_on_failure=True)
    def _consistent(cls, values: dict) -> dict:
        if values["review_by"] <= values["reviewed"]:
            raise ValueError("review_by must be after reviewed")
        for section in SECTIONS:
            seen_values, seen_names = set(), {}
            for entry in values[section]:
                if entry.value in seen_values:
                    raise ValueError(f"{section}: value {entry.value!r} appears twice")
                seen_values.add(entry.value)
                for name in entry.names:
                    other = seen_names.setdefault(name.lower(), entry.value)
                    if other != entry.value:
                        raise ValueError(f"{section}: name {name!r} means both {other!r} and {entry.value!r}")
        boards = {entry.value for entry in values["boards"]}
        for stock in values["stocks"]:
            if stock.board is not None and stock.board not in boards:
                raise ValueError(f"stocks: {stock.value} refers to unknown board {stock.board!r}")
        return values

    def entries(self, entity_type: str) -> List[EntityEntry]:
        """The entries of one entity type (`board`, `stock`, …)."""
        for section, section_type in SECTIONS.items():
            if section_type == entity_type:
                return list(getattr(self, section))
        raise KeyError(f"no entity type {entity_type!r} in {ENTITIES_FILE}")

    def names(self) -> Iterator[Tuple[str, str, str]]:
        """Every (entity type, name, value) the extractor should recognise, stock codes included."""
        for section, entity_type in SECTIONS.items():
            for entry in getattr(self, section):
                for name in entry.names:
                    yield entity_type, name, entry.value
                if isinstance(entry, StockEntry):
                    yield entity_type, entry.value, entry.value

    def label(self, entity_type: str, value: str) -> str:
        """The display name of a canonical value: label("board", "chinext") → "创业板"."""
        for entry in self.entries(entity_type):
            if entry.value == value:
                return entry.label
        raise KeyError(f"no {entity_type} with value {value!r}")

    def fact_records(self) -> List[Tuple[str, "EntityCatalogue"]]:
        """For `python -m bot.kb check`: the catalogue's review date covers the listing facts."""
        return [(ENTITIES_FILE, self)]


def load_entities(kb_dir: Path) -> EntityCatalogue:
    """Reads and validates `<kb_dir>/entities.yml`; raises on a schema error."""
    file = Path(kb_dir) / ENTITIES_FILE
    with file.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    return EntityCatalogue.parse_obj(data)
