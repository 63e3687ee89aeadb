"""Maps a complaint's free text to a category of `kb/complaints.yml` (and so to its severity and SLA)."""
from __future__ import annotations

from bot.kb.playbooks import OTHER, ComplaintCatalogue
from bot.services.text_classifier import Classification, cached_classifier


def classify_complaint(text: str, catalogue: ComplaintCatalogue) -> Classification:
    """The category id (`system_failure`, …, or `other` when unclear) with confidence and matched cues."""
    # Keyed by the kb content, so a reloaded kb with the same categories reuses the fitted classifier.
    data = tuple((c.id, tuple(c.examples), tuple(c.keywords)) for c in catalogue.categories)
    return cached_classifier(data, catalogue.min_confidence, OTHER).classify(text)
