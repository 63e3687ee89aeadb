"""The committed FAQ responses are exactly what the kb generates (a kb edit must be regenerated)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_faq_responses_are_in_sync_with_the_kb(tmp_path):
    out = tmp_path / "faq_responses.yml"
    subprocess.run([sys.executable, "-m", "bot.kb", "nlu-responses", str(out)], cwd=ROOT, check=True,
                   capture_output=True)
    committed = (ROOT / "domain" / "faq_responses.yml").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, "run `make domain/faq_responses.yml`"


def test_every_article_has_a_response_naming_it_for_the_sms_channel():
    import yaml

    from bot.kb import load_kb

    responses = yaml.safe_load((ROOT / "domain" / "faq_responses.yml").read_text(encoding="utf-8"))["responses"]
    for article in load_kb().articles:
        [response] = responses[f"utter_faq/{article.id}"]
        assert response["custom"] == {"kb_article": article.id}
        assert "依据：" in response["text"]
