"""Rule-set validation and the choice of the most specific active rule."""

from __future__ import annotations

from collections.abc import Iterable

from appeals_contracts.languages import LANGUAGES
from appeals_routing.domain.model import Directory, Rule, RuleSet


class NoRuleMatches(LookupError):
    """No active rule applies (a valid rule set always has an active default)."""


def choose_rule(rules: Iterable[Rule], category: str, district: str | None) -> Rule:
    """The most specific active rule for (category, district): category and district,
    then category only, then the default."""
    best: Rule | None = None
    for rule in rules:
        if not rule.active:
            continue
        if rule.category is not None and rule.category != category:
            continue
        if rule.district is not None and rule.district != district:
            continue
        if best is None or rule.specificity > best.specificity:
            best = rule
    if best is None:
        raise NoRuleMatches(f"no active rule for category {category!r}, district {district!r}")
    return best


def rule_set_problems(rule_set: RuleSet, directory: Directory, categories: frozenset[str],
                      districts: frozenset[str]) -> list[str]:
    """Every reason the rule set cannot be used with this directory and reference data."""
    problems: list[str] = []
    ids: set[str] = set()
    keys: dict[tuple[str | None, str | None], str] = {}
    for rule in rule_set.rules:
        where = f"rule {rule.rule_id!r}"
        if rule.rule_id in ids:
            problems.append(f"{where}: the id is used twice")
        ids.add(rule.rule_id)
        if rule.executor not in directory.executors:
            problems.append(f"{where}: unknown executor {rule.executor!r}")
        elif rule.active and not directory.executors[rule.executor].active:
            problems.append(f"{where}: executor {rule.executor!r} is not active")
        if rule.category is not None and rule.category not in categories:
            problems.append(f"{where}: unknown category {rule.category!r}")
        if rule.district is not None and rule.district not in districts:
            problems.append(f"{where}: unknown district {rule.district!r}")
        if rule.district is not None and rule.category is None:
            problems.append(f"{where}: a district needs a category (district-only rules would tie with category-only ones)")
        if rule.active:
            key = (rule.category, rule.district)
            if key in keys:
                problems.append(f"{where}: ties with rule {keys[key]!r} on the same category and district")
            keys[key] = rule.rule_id
    if (None, None) not in keys:
        problems.append("no active default rule (a rule with neither category nor district)")
    for role, code in (("anonymous_threat_executor", rule_set.anonymous_threat_executor),
                       ("triage executor", rule_set.triage_executor)):
        if not directory.is_active(code):
            problems.append(f"{role} {code!r} is not an active executor")
    return problems


def directory_problems(directory: Directory) -> list[str]:
    problems = []
    for code, executor in directory.executors.items():
        if set(executor.names) != set(LANGUAGES) or not all(executor.names.values()):
            problems.append(f"executor {code!r}: needs names in kk, ru and en")
        if executor.kind not in ("district_akimat", "city_department", "utility", "triage"):
            problems.append(f"executor {code!r}: unknown kind {executor.kind!r}")
    if not any(e.kind == "triage" and e.active for e in directory.executors.values()):
        problems.append("the directory has no active triage desk")
    return problems
