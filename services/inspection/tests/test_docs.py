import re
from pathlib import Path

ROOT = Path(__file__).parents[3]


def test_the_pictures_the_docs_show_exist():
    readme = (ROOT / "README.md").read_text("utf-8")
    shown = set(re.findall(r"\((docs/img/[\w.-]+\.png)\)", readme))
    assert {"docs/img/console-queue.png", "docs/img/console-answer.png", "docs/img/console-report.png"} <= shown
    for picture in shown:
        assert (ROOT / picture).stat().st_size > 10_000, picture
    assert (ROOT / "docs" / "img" / "weekly-report.png").stat().st_size > 10_000  # docs/inspection.md shows it
