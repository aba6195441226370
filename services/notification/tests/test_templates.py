import shutil
from pathlib import Path

import pytest

from appeals_notification.adapters.templates import RenderFailed, TemplateMissing, Templates
from appeals_contracts.languages import LANGUAGES, choose_language
from appeals_notification.config import NotificationSettings
from appeals_notification.domain.table import AUDIENCES, TABLE, TEMPLATES, WITHOUT_DUE, notices_for

CONTEXT = {
    "registration_number": "OA-2026-00012345", "due_local": "09.12.2026 24:00", "track_url": "https://x/OA", "verdict_days": 30, "original_registration_number": "OA-2026-00000007",
    "executor_name": "Medeu District Akimat", "reason": "On-site inspection", "answer_text": "Repaired.",
    "category_name": "Road repair", "district_name": "Medeu", "reason_name": "Formal reply", "comment": "",
}


def test_the_table_covers_every_audience_and_the_issue_s_list():
    assert {n.audience for notices in TABLE.values() for n in notices} == set(AUDIENCES)
    assert [n.template for n in notices_for("appeal.assigned")] == ["citizen.assigned", "executor.assigned"]
    assert {n.template for n in notices_for("deadline.breached")} == {"citizen.breach_apology",
                                                                       "inspectors.deadline_breached"}
    assert notices_for("appeal.answered") == ()


def test_every_template_exists_in_every_language():
    Templates().check_complete(TEMPLATES, LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_renders_with_the_number_and_the_due_time(template, language):
    message = Templates().render(template, language, CONTEXT)
    assert message.subject and message.body
    assert "OA-2026-00012345" in message.subject + message.body
    if template not in WITHOUT_DUE:  # a consultation answered at once has no due time
        assert "09.12.2026 24:00" in message.body


def test_a_missing_variable_is_a_failure_not_half_a_message():
    context = {k: v for k, v in CONTEXT.items() if k != "executor_name"}
    with pytest.raises(RenderFailed, match="executor_name"):
        Templates().render("citizen.assigned", "kk", context)


def test_a_missing_template_is_caught_at_start_up(tmp_path: Path):
    copy = tmp_path / "templates"
    shutil.copytree(Templates().directory, copy)
    (copy / "kk" / "citizen.extended.txt.j2").unlink()
    with pytest.raises(TemplateMissing, match="kk/citizen.extended.txt.j2"):
        Templates(copy).check_complete(TEMPLATES, LANGUAGES)


def test_language_choice():
    assert choose_language("kk", "ru", default="ru") == "kk"
    assert choose_language(None, "en", default="ru") == "en"
    assert choose_language("fr", None, default="ru") == "ru"
    # A default that is not one of the languages never reaches a message: the settings refuse it.
    with pytest.raises(ValueError):
        NotificationSettings(default_language="de")


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_executors_digest_lists_its_messages_in_order(language):
    messages = [{"subject": f"New appeal OA-2026-0000000{i}", "body": f"Body {i}"} for i in (1, 2, 3)]
    digest = Templates().render("executor.digest", language, {"count": 3, "messages": messages})
    assert "3" in digest.subject
    positions = [digest.body.index(f"OA-2026-0000000{i}") for i in (1, 2, 3)]
    assert positions == sorted(positions) and all(f"Body {i}" in digest.body for i in (1, 2, 3))
