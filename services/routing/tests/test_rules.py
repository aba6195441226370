from dataclasses import replace
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from appeals_contracts.reference import load_reference
from appeals_routing.adapters.data_files import bundled, bundled_directory, read_directory, read_rule_set
from appeals_routing.domain.model import Rule
from appeals_routing.domain.rules import choose_rule, directory_problems, rule_set_problems

REF = load_reference()
DIRECTORY = read_directory(bundled_directory())
RULE_SET, _ = read_rule_set(bundled("rules.yaml"), DIRECTORY)
CATEGORIES, DISTRICTS = sorted(REF.categories.codes), sorted(REF.districts.codes)


def test_the_bundled_directory_and_rules_are_valid():
    assert directory_problems(DIRECTORY) == []
    assert rule_set_problems(RULE_SET, DIRECTORY, REF.categories.codes, REF.districts.codes) == []
    kinds = {e.kind for e in DIRECTORY.executors.values()}
    assert kinds == {"district_akimat", "city_department", "utility", "triage"}
    assert sum(e.kind == "district_akimat" for e in DIRECTORY.executors.values()) == 8


rules_strategy = st.lists(
    st.builds(Rule, rule_id=st.uuids().map(str), executor=st.sampled_from(["a", "b", "c"]),
              category=st.one_of(st.none(), st.sampled_from(CATEGORIES[:3])),
              district=st.one_of(st.none(), st.sampled_from(DISTRICTS[:3])), active=st.booleans()),
    max_size=20)


@given(rules_strategy, st.sampled_from(CATEGORIES[:3]), st.one_of(st.none(), st.sampled_from(DISTRICTS[:3])))
def test_the_chosen_rule_is_always_the_most_specific_active_match(rules, category, district):
    rules = rules + [Rule("default", "triage")]
    chosen = choose_rule(rules, category, district)
    assert chosen.active
    assert chosen.category in (None, category) and chosen.district in (None, district)
    matching = [r for r in rules if r.active and r.category in (None, category) and r.district in (None, district)]
    assert chosen.specificity == max(r.specificity for r in matching)


def test_routing_follows_the_rule_table():
    assert choose_rule(RULE_SET.rules, "landscaping", "medeu").executor == "medeu_akimat"
    assert choose_rule(RULE_SET.rules, "road_repair", "alatau").executor == "alatau_akimat"
    assert choose_rule(RULE_SET.rules, "road_repair", "almaly").executor == "mobility_dept"
    assert choose_rule(RULE_SET.rules, "landscaping", None).executor == "open_almaty_triage"


def test_a_rule_file_with_errors_lists_every_problem():
    broken = replace(RULE_SET, rules=RULE_SET.rules + (
        Rule("x1", "no_such_executor", "education"),
        Rule("x2", "education_dept", "weather"),
        Rule("x3", "education_dept", "education", "astana"),
        Rule("x4", "alatau_akimat", None, "alatau"),
        Rule("x5", "health_dept", "social_aid"),
    ))
    problems = "\n".join(rule_set_problems(broken, DIRECTORY, REF.categories.codes, REF.districts.codes))
    for expected in ("unknown executor 'no_such_executor'", "unknown category 'weather'", "unknown district 'astana'",
                     "a district needs a category", "ties with rule 'social_aid'"):
        assert expected in problems


def test_a_rule_set_without_default_is_refused():
    no_default = replace(RULE_SET, rules=tuple(r for r in RULE_SET.rules if r.specificity))
    assert any("no active default" in p for p in
               rule_set_problems(no_default, DIRECTORY, REF.categories.codes, REF.districts.codes))


def test_reading_a_file_that_is_not_yaml_is_a_clear_error(tmp_path: Path):
    import pytest

    from appeals_routing.adapters.data_files import RuleFileError

    bad = tmp_path / "rules.yaml"
    bad.write_text("rules: [unclosed")
    with pytest.raises(RuleFileError, match="rules.yaml"):
        read_rule_set(bad, DIRECTORY)
