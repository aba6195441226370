from pathlib import Path

from appeals_inspection.config import InspectionSettings
from appeals_runtime.settings import ServiceSettings

ROOT = Path(__file__).parents[3]


def test_every_inspection_setting_is_documented():
    config = (ROOT / "docs" / "configuration.md").read_text("utf-8")
    own = set(InspectionSettings.model_fields) - set(ServiceSettings.model_fields)
    assert sorted(n.upper() for n in own if f"`{n.upper()}`" not in config) == []


def test_the_report_picture_the_docs_show_exists():
    assert (ROOT / "docs" / "img" / "weekly-report.png").stat().st_size > 10_000
    assert "docs/img/weekly-report.png" in (ROOT / "README.md").read_text("utf-8")
