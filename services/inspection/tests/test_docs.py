from pathlib import Path


ROOT = Path(__file__).parents[3]


def test_the_report_picture_the_docs_show_exists():
    assert (ROOT / "docs" / "img" / "weekly-report.png").stat().st_size > 10_000
    assert "docs/img/weekly-report.png" in (ROOT / "README.md").read_text("utf-8")
