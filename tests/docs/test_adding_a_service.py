"""docs/adding-a-service.md stays true of the tree: every file and folder it names exists (but
the example service's own), every `make` target it names is in the Makefile, the Helm fields it
names are the chart's, and every test it says enforces a step exists."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "adding-a-service.md").read_text("utf-8")
EXAMPLE = ("complaints", "<service>", "0001_")


def named_paths() -> set[str]:
    quoted = set(re.findall(r"`([^`\s]+)`", DOC)) | set(re.findall(r"\]\(([^)#\s]+)", DOC))
    return {q for q in quoted if "/" in q and not q.startswith(("http", "/", "-")) and not any(e in q for e in EXAMPLE)}


def test_every_file_and_folder_it_names_exists():
    missing = []
    for name in sorted(named_paths()):
        relative = name.split(":")[0]
        candidates = [ROOT / relative, ROOT / "docs" / relative]
        # a path inside a package ("adapters/events.py", "appeals_contracts/topics.py") exists in one
        inside = [p for top in ("contracts", "libs", "services", "apps") for p in (ROOT / top).glob(f"**/{relative}")]
        if not any(c.exists() for c in candidates) and not inside:
            missing.append(name)
    assert not missing, missing


def test_every_make_target_it_names_is_in_the_makefile():
    makefile = (ROOT / "Makefile").read_text("utf-8")
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):", makefile, re.MULTILINE))
    named = set(re.findall(r"`make ([a-z][a-z0-9-]*)", DOC))
    assert named and named <= targets, named - targets


def test_the_helm_fields_it_names_are_the_chart_s():
    values = yaml.safe_load((ROOT / "deploy" / "helm" / "open-appeals" / "values.yaml").read_text("utf-8"))
    section = DOC[DOC.index("- Helm:"):DOC.index("- Prometheus:")]
    fields = set(re.findall(r"`([a-zA-Z]+(?:\.[a-zA-Z]+)?)`", section)) - {"services", "defaults"}
    for field in fields:
        head, _, tail = field.partition(".")
        if head in values:
            assert not tail or tail in values[head], field
        else:
            assert head in values["defaults"] or any(head in s for s in values["services"].values()), field
