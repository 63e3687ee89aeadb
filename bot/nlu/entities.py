"""`SecuritiesEntityExtractor`: boards, products, fee items, banks, stocks and transfer types from
`kb/entities.yml`, order details (side, quantity, price, amount, rate) from `bot.nlu.numbers`, and
phone numbers and ticket ids by pattern.

It needs no training: the names are data, so a new alias in the kb takes effect on the next server
start without retraining. Everything runs on the normalised text (simplified, half-width), which
has the same length as the message, so offsets always point into what the customer typed.
"""
from __future__ import annotations

import re
import typing
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.kb.entities import ENTITIES_FILE, SECTIONS, EntityCatalogue, load_entities
from bot.nlu.numbers import Kind, find_order_mentions
from bot.common.phones import MOBILE
from bot.common.text import normalise
from bot.common.settings import PROJECT_ROOT, get_settings

Entity = Dict[Text, Any]
Span = Tuple[int, int]

# Jieba decides where words end; giving every kb name a high frequency keeps it in one piece inside
# a sentence ("在工行开户"), so the token-based entity ruler can match it.
NAME_FREQUENCY = 200_000
PHONE = MOBILE  # 13812345678, 139 1234 5678
TICKET_ID = re.compile(r"(?<![A-Za-z0-9])(?:CP|RT)-\d{8}-\d{4}(?!\d)", re.IGNORECASE)
# Every entity type `extract` can return: kb names, identifiers by pattern, order details.
ENTITY_TYPES: Tuple[str, ...] = (*SECTIONS.values(), "phone", "ticket_id", *typing.get_args(Kind))
STOCK_CODE = re.compile(r"(?<![A-Za-z0-9])(?:sh|sz|bj)?(\d{6})(?:\.(?:sh|sz|bj))?(?![A-Za-z0-9])", re.IGNORECASE)


class NameMatcher:
    """A blank spaCy `zh` pipeline (jieba segmenter) with an entity ruler built from the catalogue."""

    def __init__(self, catalogue: EntityCatalogue) -> None:
        import jieba
        import spacy

        self.meanings: Dict[str, List[Tuple[str, str]]] = {}  # lower-cased name → [(type, value)]
        self.codes: Dict[str, str] = {}  # stock code → value
        for entity_type, name, value in catalogue.names():
            name = normalise(name)
            if entity_type == "stock" and STOCK_CODE.fullmatch(name):
                self.codes[name] = value  # codes are found by pattern: 600519, sh600519, 600519.SH
                continue
            meanings = self.meanings.setdefault(name.lower(), [])
            if (entity_type, value) not in meanings:
                meanings.append((entity_type, value))

        # A private jieba instance: adding our names to the global one would change how the Rasa
        # tokenizer segments text once this component is loaded (i.e. at inference, not in training).
        segmenter = jieba.Tokenizer()
        words = {normalise(name) for _type, name, _value in catalogue.names()} | set(self.meanings)
        for word in sorted(words):  # as written and lower-cased: to jieba "ST股" and "st股" differ
            segmenter.add_word(word, freq=NAME_FREQUENCY)

        self.nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        self.nlp.tokenizer.jieba_seg = segmenter
        ruler = self.nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "validate": True})
        # One pattern per name; a name with several meanings (招商银行) is resolved in `find`.
        ruler.add_patterns([{"label": types[0][0], "pattern": key} for key, types in self.meanings.items()])

    def find(self, normal: str) -> List[Tuple[int, int, str, str]]:
        """(start, end, type, value) of every kb name and known stock code in normalised text."""
        found = []
        for ent in self.nlp(normal).ents:
            for entity_type, value in self.meanings.get(ent.text.lower(), []):
                found.append((ent.start_char, ent.end_char, entity_type, value))
        for match in STOCK_CODE.finditer(normal):
            if match.group(1) in self.codes:
                found.append((match.start(), match.end(), "stock", self.codes[match.group(1)]))
        return found


@lru_cache(maxsize=4)
def _matcher(entities_file: Path, modified_ns: int) -> NameMatcher:
    # Cached per file version: Rasa may create the component several times per process.
    return NameMatcher(load_entities(entities_file.parent))


def resolve_kb_dir(kb_dir: Optional[Text]) -> Path:
    """The configured kb directory (default: the settings' BOT_KB_DIR, i.e. the project's kb/);
    relative paths are tried from the working directory, then from the project root."""
    configured = Path(kb_dir) if kb_dir else Path(get_settings().kb_dir)
    candidates = [configured] + ([] if configured.is_absolute() else [PROJECT_ROOT / configured])
    for candidate in candidates:
        if (candidate / ENTITIES_FILE).is_file():
            return candidate
    raise InvalidConfigException(f"SecuritiesEntityExtractor: no {ENTITIES_FILE} in kb_dir '{configured}'")


def _overlaps(start: int, end: int, spans: List[Span]) -> bool:
    return any(s < end and start < e for s, e in spans)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class SecuritiesEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Rule-based securities entities; values are canonical ("chinext", "600519", "2000", "sell")."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"kb_dir": None}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["spacy", "jieba", "opencc"]

    def __init__(self, config: Dict[Text, Any], matcher: NameMatcher) -> None:
        self._config = config
        self._matcher = matcher

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SecuritiesEntityExtractor:
        return cls.from_kb(config)

    @classmethod
    def from_kb(cls, config: Dict[Text, Any]) -> SecuritiesEntityExtractor:
        """An extractor over the configured kb's `entities.yml` (its matcher shared per file version)."""
        entities_file = (resolve_kb_dir(config.get("kb_dir")) / ENTITIES_FILE).resolve()
        return cls(config, _matcher(entities_file, entities_file.stat().st_mtime_ns))

    def extract(self, text: str) -> List[Entity]:
        """All entities in `text`, ordered by position, without the extractor name."""
        normal = normalise(text)
        found: List[Tuple[int, int, str, str]] = []
        for pattern, entity_type in ((PHONE, "phone"), (TICKET_ID, "ticket_id")):
            for match in pattern.finditer(normal):
                value = re.sub(r"[ -]", "", match.group()) if entity_type == "phone" else match.group().upper()
                found.append((match.start(), match.end(), entity_type, value))
        identifiers = [(start, end) for start, end, _t, _v in found]
        found += [f for f in self._matcher.find(normal) if not _overlaps(f[0], f[1], identifiers)]
        for mention in find_order_mentions(normal):
            if not _overlaps(mention.start, mention.end, identifiers):
                found.append((mention.start, mention.end, mention.kind, mention.value_text))
        found.sort(key=lambda f: (f[0], f[1], f[2]))
        return [
            {
                ENTITY_ATTRIBUTE_TYPE: entity_type,
                ENTITY_ATTRIBUTE_START: start,
                ENTITY_ATTRIBUTE_END: end,
                ENTITY_ATTRIBUTE_VALUE: value,
            }
            for start, end, entity_type, value in found
        ]

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text.strip():
                continue
            existing = message.get(ENTITIES) or []
            # Another extractor may already have this span as this type (DIET, a regex): keep theirs.
            known = {(e.get(ENTITY_ATTRIBUTE_START), e.get(ENTITY_ATTRIBUTE_END), e.get(ENTITY_ATTRIBUTE_TYPE)) for e in existing}
            new = [
                entity
                for entity in self.extract(text)
                if (entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END], entity[ENTITY_ATTRIBUTE_TYPE]) not in known
            ]
            message.set(ENTITIES, existing + self.add_extractor_name(new), add_to_output=True)
        return messages
