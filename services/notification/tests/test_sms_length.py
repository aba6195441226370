"""Every SMS a citizen gets fits two SMS parts in every language, with the longest number, the
longest date and a status link on a real host: the texts are short and the details are on the
status page the link opens.

SMS parts (3GPP TS 23.038): a text of the GSM 7-bit alphabet takes 160 septets in one part and
153 per part when split (an extension character costs two); any other character makes the
whole text UCS-2: 70 characters in one part, 67 per part when split."""

from __future__ import annotations

import pytest

from appeals_contracts.reference import LANGUAGES, load_reference
from appeals_notification.adapters.templates import Templates
from appeals_notification.domain.table import TEMPLATES

GSM_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENSION = set("^{}\\[~]|€")


def sms_parts(text: str) -> int:
    if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text):
        septets = sum(2 if c in GSM_EXTENSION else 1 for c in text)
        return 1 if septets <= 160 else -(-septets // 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


def test_the_counting_follows_the_standard():
    assert sms_parts("a" * 160) == 1 and sms_parts("a" * 161) == 2 and sms_parts("a" * 306) == 2
    assert sms_parts("€" * 80) == 1 and sms_parts("€" * 81) == 2
    assert sms_parts("я" * 70) == 1 and sms_parts("я" * 71) == 2 and sms_parts("я" * 134) == 2
    assert sms_parts("я" * 135) == 3


#: The longest values a citizen's SMS can carry: the number of the millionth appeal of a year,
#: the last minute of a day, a status token (24 bytes, base64) on a city's real host.
NUMBER = "OA-2026-01234567"
LINK = f"https://open-almaty.kz/s/{NUMBER}/{'A' * 32}"
CITIZEN_TEMPLATES = sorted(t for t in TEMPLATES if t.startswith("citizen."))


def longest(table) -> str:
    return max((name for entry in table.entries.values() for name in entry.names.values()), key=len)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", CITIZEN_TEMPLATES)
def test_every_citizens_sms_fits_two_parts(template, language):
    reference = load_reference()
    context = {"registration_number": NUMBER, "original_registration_number": NUMBER, "due_local": "31.12.2026 24:00",
               "track_url": LINK, "verdict_days": 30, "executor_name": longest(reference.executors),
               "category_name": longest(reference.categories), "district_name": longest(reference.districts),
               "reason": "x" * 500, "answer_text": "y" * 2000, "reason_name": longest(reference.return_reasons)}
    message = Templates().render(template, language, context, sms=True)
    text = "\n".join(p for p in (message.subject, message.body) if p)
    assert LINK in text
    assert sms_parts(text) <= 2, f"{language}/{template}: {len(text)} characters, {sms_parts(text)} parts: {text}"


def test_a_citizens_e_mail_keeps_the_whole_message():
    message = Templates().render("citizen.answer_accepted", "ru", {
        "registration_number": NUMBER, "due_local": "31.12.2026 24:00", "track_url": LINK, "verdict_days": 30,
        "executor_name": "Аким Медеуского района", "answer_text": "Яма заделана."})
    assert message.subject and "Яма заделана." in message.body and LINK in message.body
