"""Reading a letter (pure): the citizen's own words, the language, the name, the submission."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appeals_mail.domain import letters, replies
from appeals_mail.domain.letters import Unreadable


def raw(body: str, *, sender: str = "Дана Серикова <dana@mail.kz>", subject: str = "Качели", html: str | None = None,
        headers: dict[str, str] | None = None, attach: tuple[str, bytes] | None = None) -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"], m["Message-ID"] = sender, "appeals@city.example", subject, "<1@mail.kz>"
    for k, v in (headers or {}).items():
        m[k] = v
    m.set_content(body)
    if html is not None:
        m.add_alternative(html, subtype="html")
    if attach:
        maintype, subtype = attach[0].split("/")
        m.add_attachment(attach[1], maintype=maintype, subtype=subtype, filename="f")
    return m.as_bytes()


def test_the_citizens_own_words_without_quotes_or_signature():
    body = ("Сломаны качели во дворе дома 10.\n\n> старое\n> письмо\n\n-- \nДана\nОтправлено с iPhone")
    letter = letters.read(raw(body))
    assert letter.text == "Сломаны качели во дворе дома 10." and letter.sender == "dana@mail.kz"
    assert letter.sender_name == "Дана Серикова" and letter.language == "ru"
    quoted = letters.own_words("Спасибо, вот фото.\n\nСр, 2 дек. 2026 г. в 10:00, Open Almaty <appeals@city.example>:\n"
                               "> Ваше письмо")
    assert quoted == "Спасибо, вот фото."
    assert letters.own_words("Thanks.\nOn Tue, 1 Dec 2026 at 10:00 City wrote:\n> hi") == "Thanks."


def test_an_html_only_letter_is_read_as_text_without_its_quoted_part():
    m = EmailMessage()
    m["From"], m["Subject"], m["Message-ID"] = "x@mail.kz", "Lamp", "<2@mail.kz>"
    m.set_content("<html><body><p>The lamp on Abai 5 is out.</p><div class='gmail_quote'>old</div>"
                  "<script>x()</script></body></html>", subtype="html")
    letter = letters.read(m.as_bytes())
    assert letter.text == "The lamp on Abai 5 is out." and letter.language == "en"


def test_photos_and_pdfs_are_taken_other_files_counted():
    letter = letters.read(raw("Фото ямы.", attach=("image/jpeg", b"\xff\xd8\xff" + b"0" * 100)))
    assert [a.content_type for a in letter.attachments] == ["image/jpeg"]
    other = letters.read(raw("Документ.", attach=("application/zip", b"PK")))
    assert other.attachments == () and other.skipped_attachments == 1


def test_a_letter_without_a_sender_is_unreadable_and_one_without_a_message_id_gets_a_stable_one():
    with pytest.raises(Unreadable):
        letters.read(b"Subject: x\r\n\r\nhello")
    bare = b"From: a@b.kz\r\nSubject: x\r\n\r\nhello there, a lamp is out"
    assert letters.read(bare).message_id == letters.read(bare).message_id


@pytest.mark.parametrize("text, language", [("Көше шамы жанбайды", "kk"), ("Не горит фонарь", "ru"),
                                            ("The lamp is out", "en"), ("Шам not working at all", "en")])
def test_the_language_from_the_alphabet(text, language):
    assert letters.language_of(text) == language


def test_a_reply_completes_the_refused_letter():
    first = letters.read(raw("Третий день не вывозят мусор у дома 5.", sender="anon@mail.kz", subject="Мусор"))
    reply = letters.read(raw("ФИО: Ерлан Касымов\n\n> Третий день", sender="anon@mail.kz", subject="Re: Мусор",
                             headers={"In-Reply-To": "<missing@city>", "References": "<1@mail.kz> <missing@city>"}))
    body = letters.submission(reply, earlier=[first], category="other_akimat_matters", attachments=[])
    assert body["citizen"] == {"name": "Ерлан Касымов", "email": "anon@mail.kz", "preferred_language": "ru"}
    assert body["text"] == "Мусор\n\nТретий день не вывозят мусор у дома 5."
    assert body["channel"] == "email" and body["channel_message_id"] == reply.message_id
    assert reply.references == ("<1@mail.kz>", "<missing@city>")


def test_what_is_missing_in_the_letters_language():
    said = replies.missing([{"field": "citizen.name", "message": "required unless the appeal is anonymous"},
                            {"field": "text", "message": "must be 10-10000 characters"}], "kk")
    assert "Аты-жөні" in said and "10–10000" in said
    assert "ФИО" in replies.missing([{"field": "citizen.name", "message": "x"}], "ru")


@given(st.binary(max_size=2000))
def test_any_bytes_are_read_or_refused_in_words_never_a_crash(data):
    try:
        letters.read(data)
    except Unreadable:
        pass


def test_a_malformed_mime_part_is_counted_and_the_rest_taken():
    raw_letter = (b"From: Dana <dana@mail.kz>\r\nSubject: Lamp\r\nMessage-ID: <m@mail.kz>\r\nMIME-Version: 1.0\r\n"
                  b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                  b"The lamp on Abai 5 is out.\r\n--XX\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                  b"!!!not base64 at all===\r\n--XX--\r\n")
    letter = letters.read(raw_letter)
    assert letter.text == "The lamp on Abai 5 is out." and letter.malformed_parts >= 1
    assert letter.attachments == ()  # the broken file is not passed on
