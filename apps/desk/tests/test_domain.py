"""The desk's pure parts: the prepared answers as data, the form as intake's submission, intake's
reasons as sentences by field."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from appeals_contracts.reference import load_reference
from appeals_desk.domain import form as forms
from appeals_contracts.prepared_answers import PreparedAnswersError, by_topic, parse
from appeals_desk.domain.words import texts

REFERENCE = load_reference()
TOPICS = REFERENCE.categories.codes
BUNDLED = resources.files("appeals_contracts.data").joinpath("prepared_answers.yaml").read_text("utf-8")
ANSWERS = parse(BUNDLED, topics=TOPICS)


def test_the_bundled_prepared_answers_are_complete_in_three_languages():
    assert "movement_no_pass" in ANSWERS
    assert all(set(a.text) == {"kk", "ru", "en"} for a in ANSWERS.values())
    assert set(by_topic(ANSWERS)) <= TOPICS


@pytest.mark.parametrize("broken, reason", [
    ("version: 1\nitems:\n  - {code: aa, topic: nowhere, title: {kk: a, ru: a, en: a}, text: {kk: a, ru: a, en: a}}",
     "is no category"),
    ("version: 1\nitems:\n  - {code: aa, topic: benefits, title: {kk: a, ru: a, en: a}, text: {kk: a, ru: a}}",
     "kk, ru and en"),
    ("version: 1\nitems:\n  - {code: aa, topic: benefits, title: {kk: a, ru: a, en: a}, text: {kk: a, ru: a, en: a}}\n"
     "  - {code: aa, topic: benefits, title: {kk: a, ru: a, en: a}, text: {kk: a, ru: a, en: a}}", "code of its own"),
    ("items: []", "integer version"),
])
def test_a_malformed_prepared_answers_file_is_refused_with_its_reason(broken, reason):
    with pytest.raises(PreparedAnswersError, match=reason):
        parse(broken, topics=TOPICS)


FORM = {"channel": "front_office", "message_id": "m1", "kind": "complaint", "category": "landscaping",
        "district": "medeu", "text": "Swings are broken in the yard.", "name": "Dana", "iin": "900101300017",
        "phone": "+77011234567", "email": "", "language": "kk"}


def test_the_form_is_intakes_submission_as_typed():
    body = forms.submission(FORM, {}, [], answers=ANSWERS, page_language="en")
    assert body["channel"] == "front_office" and body["channel_message_id"] == "desk-m1"
    assert body["citizen"] == {"name": "Dana", "iin": "900101300017", "phone": "+77011234567", "email": None,
                               "preferred_language": "kk"}
    assert body["language"] == "kk" and "consultation" not in body and "re_appeal_of" not in body
    anonymous = forms.submission({**FORM, "anonymous": "on", "crime": "on"}, {}, [], answers=ANSWERS,
                                 page_language="en")
    assert "citizen" not in anonymous and anonymous["reports_crime_or_threat"]
    linked = forms.submission({**FORM, "re_appeal_of": "OA-2026-00000001"}, {}, [], answers=ANSWERS,
                              page_language="en")
    assert linked["re_appeal_of"] == "OA-2026-00000001"
    assert forms.submission({**FORM, "channel": "portal"}, {}, [], answers=ANSWERS,
                            page_language="en")["channel"] == "contact_centre"  # an operator's channel only


def test_a_consultation_carries_the_prepared_answer_in_the_citizens_language_or_the_operators_words():
    asked = {**FORM, "kind": "consultation", "category": "movement_within_city", "prepared": "movement_no_pass",
             "reply_wanted": "on"}
    given_ = forms.submission(asked, {}, [], answers=ANSWERS, page_language="en")["consultation"]
    assert given_ == {"answer": ANSWERS["movement_no_pass"].text["kk"], "prepared_answer": "movement_no_pass",
                      "reply_wanted": True}
    edited = forms.consultation({**asked, "answer": "My own words."}, ANSWERS, "ru")
    assert edited == {"answer": "My own words.", "prepared_answer": None, "reply_wanted": True}
    assert forms.consultation({**asked, "prepared": ""}, ANSWERS, "ru") is None
    assert forms.consultation({**asked, "kind": "complaint"}, ANSWERS, "ru") is None


def test_intakes_reasons_become_sentences_next_to_their_fields():
    t = texts("ru")
    said = forms.refusals([{"field": "citizen.iin", "message": "check digit does not match"},
                           {"field": "text", "message": "must be 10-10000 characters"},
                           {"field": "attributes.defect", "message": "required"},
                           {"field": "re_appeal_of", "message": "the caller's IIN, phone or e-mail is not on that appeal"},
                           {"field": "citizen.iin", "message": "a second reason for the same field"}], t)
    assert said == {"iin": t("err_iin_check"), "text": t("err_text", low="10", high="10000"),
                    "attr_defect": t("err_detail"), "re_appeal_of": t("err_re_appeal_foreign")}


@given(st.lists(st.fixed_dictionaries({"field": st.text(max_size=30), "message": st.text(max_size=60)}), max_size=8),
       st.sampled_from(["kk", "ru", "en"]))
def test_any_reason_intake_gives_becomes_one_of_the_desks_sentences(reasons, language):
    """Whatever intake says, the operator reads the desk's own words (never intake's English)."""
    t = texts(language)
    catalogue = yaml.safe_load(resources.files("appeals_desk.domain").joinpath("texts.yaml").read_text("utf-8"))
    words = {t(key) for key in catalogue if key.startswith("err_") and key != "err_text"}
    said = forms.refusals(reasons, t)
    for field, sentence in said.items():
        assert sentence in words or field == "text", (field, sentence)
    assert set(said) <= set(forms._FIELD.values()) | {""} | {k for k in said if k.startswith("attr_")}
