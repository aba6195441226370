from pathlib import Path

from appeals_notification.domain.table import TABLE

DOC = (Path(__file__).parents[3] / "docs" / "notifications.md").read_text("utf-8")


def test_the_docs_table_is_the_code_table():
    rows = {(event, n.audience, n.template) for event, notices in TABLE.items() for n in notices}
    documented = {tuple(cell.strip().strip("`") for cell in line.split("|")[1:4])
                  for line in DOC.splitlines() if line.startswith("| `")}
    assert documented == rows
