"""Maps a customer's free-text reason for leaving to a retention playbook entry (`kb/retention.yml`)."""
from __future__ import annotations

from typing import Optional

from bot.kb.playbooks import OTHER, RequestTypeId, RetentionPlaybook
from bot.common.text import comparable
from bot.services.text_classifier import Classification, cached_classifier


def classify_reason(text: str, playbook: RetentionPlaybook) -> Classification:
    """The reason id (`fees_too_high`, …, or `other` when unclear) with confidence and matched cues."""
    # Keyed by the kb content, so a reloaded kb with the same reasons reuses the fitted classifier.
    data = tuple((r.id, tuple(r.examples), tuple(r.keywords)) for r in playbook.reasons)
    return cached_classifier(data, playbook.min_confidence, OTHER).classify(text)


def match_request_type(text: str, playbook: RetentionPlaybook) -> Optional[RequestTypeId]:
    """The request type whose longest trigger occurs in the text (转托管/撤指定/销户/转户), if any.

    A fallback for when NLU found no `transfer_type` entity; the longest trigger wins so that
    "撤销指定交易" is not read as a shorter, more generic cue.
    """
    normalised = comparable(text)
    hits = [
        (len(trigger), request_type.id)
        for request_type in playbook.request_types
        for trigger in request_type.triggers
        if comparable(trigger) in normalised
    ]
    return max(hits, key=lambda hit: hit[0])[1] if hits else None
