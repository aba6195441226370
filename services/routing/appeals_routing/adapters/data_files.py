"""Reading the executor directory and the routing rules from their versioned YAML files."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from appeals_routing.domain.model import Directory, Executor, Rule, RuleSet


class RuleFileError(ValueError):
    """A directory or rule file cannot be read or is inconsistent; nothing was changed."""


def bundled(name: str) -> Path:
    return Path(str(resources.files("appeals_routing.data").joinpath(name)))


def bundled_directory() -> Path:
    """The executor directory is reference data every service reads: it ships with the contracts."""
    return Path(str(resources.files("appeals_contracts.data").joinpath("executors.yaml")))


def _read(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text("utf-8")
        data = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise RuleFileError(f"{path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("version"), int):
        raise RuleFileError(f"{path}: needs a mapping with an integer 'version'")
    return data, hashlib.sha256(text.encode()).hexdigest()


def read_directory(path: Path) -> Directory:
    data, _ = _read(path)
    executors: dict[str, Executor] = {}
    for item in data.get("items") or ():
        try:
            executor = Executor(code=str(item["code"]), kind=str(item["kind"]), names=dict(item["names"]),
                                active=bool(item.get("active", True)))
        except (KeyError, TypeError) as exc:
            raise RuleFileError(f"{path}: executor entry {item!r} lacks {exc}") from exc
        if executor.code in executors:
            raise RuleFileError(f"{path}: executor {executor.code!r} is listed twice")
        executors[executor.code] = executor
    return Directory(data["version"], executors)


def read_rule_set(path: Path, directory: Directory) -> tuple[RuleSet, str]:
    """The rule set and its file's checksum."""
    data, checksum = _read(path)
    rules = []
    for item in data.get("rules") or ():
        try:
            rules.append(Rule(rule_id=str(item["id"]), executor=str(item["executor"]),
                              category=item.get("category"), district=item.get("district"),
                              active=bool(item.get("active", True))))
        except (KeyError, TypeError) as exc:
            raise RuleFileError(f"{path}: rule entry {item!r} lacks {exc}") from exc
    triage = next((c for c, e in directory.executors.items() if e.kind == "triage" and e.active), "")
    return RuleSet(data["version"], tuple(rules), str(data.get("anonymous_threat_executor", "")), triage), checksum
