"""The portal's words: timelines told in sentences, dates in words, refusals next to fields,
the taxonomy searched. Pure functions, no server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appeals_contracts.reference import LANGUAGES, load_reference
from appeals_portal.domain import form as forms
from appeals_portal.domain.status import read
from appeals_portal.domain.words import Texts, catalogue
from appeals_runtime.forms import details_of

REF = load_reference()
NAMES = {"executors": {c: e.names for c, e in REF.executors.entries.items()},
         "categories": {c: e.names for c, e in REF.categories.entries.items()},
         "appeal_kinds": {c: e.names for c, e in REF.appeal_kinds.entries.items()},
         "districts": {c: e.names for c, e in REF.districts.entries.items()}}


def test_every_text_is_in_every_language_and_fills_the_same_blanks():
    import string

    for key, texts in catalogue().items():
        assert isinstance(key, str), key  # YAML reads a bare yes/no key as a boolean
        assert set(texts) == set(LANGUAGES), key
        blanks = {lang: {f for _, f, _, _ in string.Formatter().parse(text) if f} for lang, text in texts.items()}
        assert len({frozenset(b) for b in blanks.values()}) == 1, key


@pytest.mark.parametrize(("language", "words"), [("kk", "17 желтоқсан, бейсенбі"), ("ru", "17 декабря, четверг"),
                                                 ("en", "17 December, Thursday")])
def test_a_due_date_in_words_is_almatys_last_day(language, words):
    # midnight at the end of the 17th in Almaty (UTC+5) is 19:00 UTC on the 17th
    assert Texts(language).day(datetime(2026, 12, 17, 19, 0, tzinfo=UTC)) == words
    assert Texts(language).day("2026-12-17T10:00:00+00:00") == words


VIEW = {
    "registration_number": "OA-2026-00000042", "status": "answered", "kind": "complaint", "category": "road_repair",
    "executor_code": "medeu_akimat", "due_at": "2026-12-17T19:00:00+00:00", "overdue": False,
    "answer": "The pothole was filled.",
    "timeline": [
        {"event_type": "appeal.registered", "at": "2026-12-02T04:00:00+00:00", "registration_number": "OA-2026-00000042"},
        {"event_type": "appeal.assigned", "at": "2026-12-02T04:00:01+00:00", "executor_code": "medeu_akimat"},
        {"event_type": "deadline.scheduled", "at": "2026-12-02T04:00:01+00:00", "due_at": "2026-12-17T19:00:00+00:00"},
        {"event_type": "appeal.answered", "at": "2026-12-03T04:00:00+00:00", "executor_code": "medeu_akimat"},
        {"event_type": "deadline.forwarding_breached", "at": "2026-12-03T04:00:00+00:00"},
        {"event_type": "inspection.answer_accepted", "at": "2026-12-03T05:00:00+00:00", "answer_id": "a-1",
         "executor_code": "medeu_akimat", "answer": "The pothole was filled."},
    ],
}


def test_the_timeline_in_kazakh_names_the_organisation_and_almaty_time():
    page = read(VIEW, Texts("kk"), NAMES)
    assert [s.at for s in page.steps][0] == "2 желтоқсан 2026, 09:00"
    assert any(REF.executors.entries["medeu_akimat"].names["kk"] in s.text for s in page.steps)
    assert len(page.steps) == 5  # the forwarding breach is the staff's business
    assert page.judgeable_answer == "a-1" and page.verdict is None
    assert page.due == "17 желтоқсан, бейсенбі"
    assert "road_repair" not in str(page) and "medeu_akimat" not in page.next_step


def test_a_judged_answer_is_not_offered_again_and_the_verdict_is_told():
    judged = {**VIEW, "timeline": [*VIEW["timeline"], {"event_type": "appeal.citizen_verdict",
                                                       "at": "2026-12-04T05:00:00+00:00", "answer_id": "a-1",
                                                       "resolved": False, "rating": 2}]}
    page = read(judged, Texts("en"), NAMES)
    assert page.judgeable_answer is None
    assert page.verdict is not None and page.verdict.text == "You said the matter was not resolved. Rating: 2 of 5."


@given(st.sampled_from(["registered", "assigned", "not_routed", "answer_under_review", "in_rework", "answered",
                        "closed", "reopened", "merged", "something_new"]), st.sampled_from(LANGUAGES),
       st.booleans())
def test_every_status_reads_as_a_sentence(status, language, with_executor):
    view = {**VIEW, "status": status, "executor_code": "medeu_akimat" if with_executor else None}
    page = read(view, Texts(language), NAMES)  # a status intake adds later shows as its code, never a fault
    assert page.status_text and page.next_step and "{" not in page.next_step


def test_intakes_refusals_stand_next_to_their_fields_in_the_pages_language():
    reasons = [{"field": "citizen.iin", "message": "the check digit does not match"},
               {"field": "text", "message": "must be 10-5000 characters"},
               {"field": "attributes.defect", "message": "must be one of crack, pothole"},
               {"field": "citizen", "message": "give the citizen's contact or mark the appeal anonymous"},
               {"field": "channel_message_id", "message": "must be 1-200 characters"}]
    said = forms.refusals(reasons, Texts("ru"))
    assert said["iin"].startswith("ИИН указан неверно")
    assert said["text"] == "Текст должен быть от 10 до 5000 символов."
    assert said["attr_defect"] == "Проверьте это поле."
    assert said["contact"].startswith("Укажите телефон или e-mail")
    assert said[""].startswith("Обращение не удалось")


def test_the_taxonomy_is_grouped_and_searched_in_any_language():
    t = Texts("kk")
    every = forms.category_groups(REF, t)
    assert sum(len(g.items) for g in every) == sum(1 for e in REF.categories.entries.values()
                                                   if e.attributes.get("active") is not False)
    assert [g.code for g in every][:2] == ["city_environment", "infrastructure"]
    found = forms.category_groups(REF, t, "ЯМА")  # a Russian keyword, on the Kazakh page
    assert [c.code for g in found for c in g.items] == ["road_repair"]
    assert found[0].items[0].name == REF.categories.entries["road_repair"].names["kk"]
    assert forms.category_groups(REF, t, "zzzz") == []


def test_the_form_becomes_intakes_submission_as_typed():
    details = details_of(REF, "road_repair", "en")
    assert [d.code for d in details] == ["defect", "lanes_blocked"]
    body = forms.submission({"category": "road_repair", "kind": "complaint", "text": "A hole", "district": "medeu",
                             "lat": "43.25", "long": "76.95", "attr_defect": "pothole", "attr_lanes_blocked": "",
                             "name": " Aruzhan ", "phone": "+77011234567", "email": "", "language": "kk"},
                            {}, details, page_language="ru", message_id="ab" * 16, attachments=["x"])
    assert body["channel"] == "portal" and body["channel_message_id"] == "web-" + "ab" * 16
    assert body["location"] == {"lat": 43.25, "long": 76.95} and body["attributes"] == {"defect": "pothole"}
    assert body["citizen"] == {"name": "Aruzhan", "iin": None, "phone": "+77011234567", "email": None,
                               "preferred_language": "kk"}
    anonymous = forms.submission({"category": "road_repair", "anonymous": "on", "crime": "on", "name": "X"}, {},
                                 details, page_language="ru", message_id="c" * 32, attachments=[])
    assert "citizen" not in anonymous and anonymous["reports_crime_or_threat"] is True
