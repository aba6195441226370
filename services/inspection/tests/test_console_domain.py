"""The console's words and times: every word in every language, Almaty time in each
language's format, the language chosen from what the user or the browser asks."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from appeals_inspection.domain.console import LANGUAGES, Texts, catalogue, choose_language


def test_every_word_is_there_in_kazakh_russian_and_english():
    for key, words in catalogue().items():
        assert set(words) == set(LANGUAGES), key
        assert all(isinstance(w, str) and w.strip() for w in words.values()), key


def test_times_are_almaty_times_in_the_readers_format():
    instant = datetime(2026, 10, 2, 7, 0, tzinfo=UTC)  # the UTC instant the old report printed
    assert Texts("en").when(instant) == "2 Oct 2026, 12:00"
    assert Texts("ru").when(instant) == "2 окт. 2026, 12:00"
    assert Texts("kk").when(instant.isoformat()) == "2 қаз. 2026, 12:00"
    assert Texts("en").when(None) == "–"


def test_ages_read_in_hours_then_days():
    assert Texts("en").hours(5.2) == "5 h" and Texts("ru").hours(72) == "3.0 дн"


@given(st.lists(st.one_of(st.none(), st.text(max_size=30)), max_size=4), st.sampled_from(LANGUAGES))
def test_the_language_is_always_one_the_console_speaks(wishes, default):
    assert choose_language(*wishes, default=default) in LANGUAGES


def test_the_first_supported_wish_wins():
    assert choose_language(None, "de-DE,kk;q=0.8,ru;q=0.5") == "kk"
    assert choose_language("en", "kk") == "en"
    assert choose_language("fr", default="kk") == "kk"
