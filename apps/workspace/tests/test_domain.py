"""The workspace's words and the queue's rules: pure."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from importlib import resources

from hypothesis import given
from hypothesis import strategies as st

from appeals_runtime.i18n import catalogue
from appeals_workspace.domain.queue import due_mark, filters_from
from appeals_workspace.domain.words import _REFUSALS, refusal, texts

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
WORDS = catalogue("appeals_workspace.domain")


@given(st.integers(min_value=-10_000, max_value=10_000))
def test_a_due_time_is_overdue_once_passed_and_soon_within_a_day(minutes):
    due = NOW + timedelta(minutes=minutes)
    mark = due_mark(due, NOW)
    assert mark == ("overdue" if minutes <= 0 else "soon" if minutes <= 24 * 60 else None)
    assert due_mark(due.isoformat(), NOW) == mark
    assert due_mark(None, NOW) is None


def test_filters_keep_only_what_the_reference_data_knows():
    chosen = filters_from({"category": "landscaping", "district": "nowhere", "assignee": "me", "due": "soon"},
                          categories=frozenset({"landscaping"}), districts=frozenset({"medeu"}))
    assert (chosen.category, chosen.district, chosen.assignee, chosen.due) == ("landscaping", "", "me", "")
    assert chosen.for_routing("emp-7") == {"category": "landscaping", "assignee": "emp-7"}
    assert filters_from({"assignee": "none"}, categories=frozenset(), districts=frozenset()).for_routing("x") == {
        "assignee": ""}
    assert filters_from({"assignee": "a' OR 1=1"}, categories=frozenset(), districts=frozenset()).assignee == ""


def test_routings_refusals_are_put_into_words_and_an_unknown_one_is_quoted():
    t = texts("kk")
    assert refusal(t, "the appeal is closed") == WORDS["refused_closed"]["kk"]
    assert refusal(t, "the appeal is assigned to almaly_akimat, not to medeu_akimat") == WORDS["refused_elsewhere"]["kk"]
    assert "something new" in refusal(t, "something new")
    assert all(key in WORDS for _, key in _REFUSALS)


def test_every_word_is_in_three_languages_and_every_key_a_page_uses_exists():
    assert all(set(v) == {"kk", "ru", "en"} and all(v.values()) for v in WORDS.values())
    templates = resources.files("appeals_workspace").joinpath("templates")
    used = {key for page in templates.iterdir() if page.name.endswith(".j2")
            for key in re.findall(r'(?<![\w.])t\("([a-z_]+)"(?!\s*~)', page.read_text("utf-8"))}
    assert used and used <= set(WORDS), used - set(WORDS)
