"""kb/entities.yml and its loader: the data the entity extractor is built from."""
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bot.kb.entities import SECTIONS, EntityCatalogue, StockEntry, load_entities
from bot.common.settings import PROJECT_ROOT

HEADER = {"source": "测试", "reviewed": "2026-01-01", "review_by": "2027-01-01"}


@pytest.fixture(scope="module")
def catalogue() -> EntityCatalogue:
    return load_entities(PROJECT_ROOT / "kb")


def write(tmp_path: Path, **sections) -> Path:
    (tmp_path / "entities.yml").write_text(yaml.safe_dump({**HEADER, **sections}, allow_unicode=True), encoding="utf-8")
    return tmp_path


def test_project_catalogue_covers_every_entity_type(catalogue):
    for entity_type in SECTIONS.values():
        assert catalogue.entries(entity_type), entity_type
    assert {e.value for e in catalogue.entries("board")} >= {"main", "chinext", "star", "bse", "hk_connect", "st"}
    assert {e.value for e in catalogue.entries("fee_item")} >= {"commission", "stamp_duty", "transfer_fee"}
    assert {e.value for e in catalogue.entries("transfer_type")} == {
        "transfer_custody",
        "cancel_designation",
        "close_account",
        "change_broker",
    }
    assert len(catalogue.entries("stock")) >= 20


def test_well_known_stocks_have_their_codes_and_boards(catalogue):
    stocks = {e.label: e for e in catalogue.entries("stock")}
    assert stocks["贵州茅台"].value == "600519"
    assert stocks["宁德时代"].value == "300750" and stocks["宁德时代"].board == "chinext"
    assert stocks["比亚迪"].value == "002594"  # a leading zero survives YAML
    assert stocks["中芯国际"].board == "star"


def test_labels_and_names(catalogue):
    assert catalogue.label("board", "chinext") == "创业板"
    assert catalogue.label("stock", "600519") == "贵州茅台"
    names = set(catalogue.names())
    assert ("stock", "600519", "600519") in names  # the code itself is a name
    assert ("bank", "招商银行", "cmb") in names and ("stock", "招商银行", "600036") in names
    with pytest.raises(KeyError):
        catalogue.label("board", "nasdaq")
    with pytest.raises(KeyError):
        catalogue.entries("weather")


def test_the_review_date_is_exposed_for_kb_check(catalogue):
    [(ref, record)] = catalogue.fact_records()
    assert ref == "entities.yml" and record.review_by > record.reviewed


def test_a_stock_code_must_be_six_digits_quoted(tmp_path):
    with pytest.raises(ValidationError, match="six-digit"):
        load_entities(write(tmp_path, stocks=[{"value": 2594, "names": ["比亚迪"]}]))  # unquoted 002594
    assert StockEntry(value="002594", names=["比亚迪"]).value == "002594"


@pytest.mark.parametrize(
    "sections, message",
    [
        ({"boards": [{"value": "a", "names": ["甲"]}, {"value": "a", "names": ["乙"]}]}, "appears twice"),
        ({"boards": [{"value": "a", "names": ["甲"]}, {"value": "b", "names": ["甲"]}]}, "means both"),
        ({"boards": [{"value": "a", "names": []}]}, "at least 1"),
        ({"boards": [{"value": "a", "names": [" "]}]}, "blank"),
        ({"stocks": [{"value": "600519", "names": ["茅台"], "board": "nasdaq"}]}, "unknown board"),
        ({"boards": [{"value": "a", "names": ["甲"], "colour": "red"}]}, "extra fields"),
    ],
)
def test_schema_errors_are_rejected(tmp_path, sections, message):
    with pytest.raises(ValidationError, match=message):
        load_entities(write(tmp_path, **sections))


def test_review_by_must_follow_reviewed(tmp_path):
    (tmp_path / "entities.yml").write_text("source: 测试\nreviewed: 2026-01-01\nreview_by: 2025-01-01\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="review_by"):
        load_entities(tmp_path)
