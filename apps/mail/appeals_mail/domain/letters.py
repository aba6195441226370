"""A letter to the city's appeals address, read as intake's submission: the sender's address as
the contact and their display name as the name, the subject and the citizen's own words as the
text (an HTML body turned into text, quoted replies and the signature left out), photos and PDFs
as attachments, the language from the letter's alphabet. A reply that completes a letter intake
refused is read together with that letter. Pure."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from bs4 import BeautifulSoup

#: What intake takes as an attachment.
ATTACHMENT_TYPES = ("image/jpeg", "image/png", "application/pdf")
#: The kind of a letter: a statement (the law's "өтініш / заявление"); inspectors may change it.
KIND = "statement"
_KAZAKH = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Attachment:
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Letter:
    """What the adapter needs of a letter (personal data: never logged)."""

    message_id: str
    sender: str
    sender_name: str | None
    subject: str
    text: str = field(repr=False)
    language: str
    attachments: tuple[Attachment, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    malformed_parts: int = 0  # MIME parts that could not be read (each counted, the rest taken)
    skipped_attachments: int = 0  # files of a type intake does not take


class Unreadable(ValueError):
    """Not a letter the adapter can answer: no sender address (the reason names no content)."""


def _ids(value: str | None) -> tuple[str, ...]:
    return tuple(re.findall(r"<[^<>\s]+>", value or ""))


def read(raw: bytes) -> Letter:
    """The letter as the adapter takes it. A letter without a Message-ID gets one from its bytes,
    so the same letter read twice has the same key."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    malformed = len(message.defects)
    try:
        senders = getaddresses([str(message.get("From", ""))])
    except Exception:  # noqa: BLE001 - a header no parser reads is no sender
        senders = []
    name, address = senders[0] if senders else ("", "")
    if "@" not in address:
        raise Unreadable("the letter names no sender address")
    [message_id] = _ids(str(message.get("Message-ID", ""))) or [f"<sha256-{hashlib.sha256(raw).hexdigest()}@letter>"]
    plain, html, files = [], [], []
    skipped = 0
    for part in message.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        disposition = part.get_content_disposition()
        try:
            if disposition == "attachment" or kind in ATTACHMENT_TYPES:
                if kind in ATTACHMENT_TYPES:
                    payload = part.get_payload(decode=True)
                    data = payload if isinstance(payload, bytes) else b""
                    if not part.defects and data:  # a file that did not decode whole is not passed on
                        files.append(Attachment(kind, data))
                else:
                    skipped += 1
            elif kind == "text/plain":
                plain.append(part.get_content())
            elif kind == "text/html":
                html.append(part.get_content())
        except (LookupError, ValueError, UnicodeError, AssertionError):
            malformed += 1
        malformed += len(part.defects)  # decoding records what it had to skip (bad base64, say)
    body = "\n".join(plain) if plain else "\n".join(html_text(h) for h in html)
    text = own_words(body)
    subject = " ".join(str(message.get("Subject", "")).split())
    return Letter(message_id=message_id, sender=address.strip().lower(), sender_name=name.strip() or None,
                  subject=subject, text=text, language=language_of(f"{subject}\n{text}"),
                  attachments=tuple(files), in_reply_to=(_ids(str(message.get("In-Reply-To", ""))) or (None,))[0],
                  references=_ids(str(message.get("References", ""))), malformed_parts=malformed,
                  skipped_attachments=skipped)


def html_text(html: str) -> str:
    """An HTML body as text: quoted earlier letters, scripts and styles left out, blocks on lines."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head", "blockquote"]):
        tag.decompose()
    for tag in soup.select(".gmail_quote, .yahoo_quoted, #divRplyFwdMsg, .moz-cite-prefix"):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    return str(soup.get_text("\n"))


#: Where a quoted earlier letter begins, in the mail clients of kk, ru and en writers.
_QUOTE_HEADERS = (
    re.compile(r"^on .{3,200} wrote:\s*$", re.I),
    re.compile(r"^.{3,200}\s(написал|написала|написал\(а\)|пишет|жазды)\s*:\s*$", re.I),
    re.compile(r"^.{0,200}<[^<>\s]+@[^<>\s]+>[^<>]{0,40}:\s*$"),  # "ср, 2 дек. 2026 г. в 10:00, X <x@y>:"
    re.compile(r"^-{2,}\s*(original message|исходное сообщение|пересылаемое сообщение|forwarded message)\s*-{2,}",
               re.I),
    re.compile(r"^(from|от|кімнен):\s.+@", re.I),
)
#: Where the signature begins: RFC 3676's delimiter, and what phones add.
_SIGNATURE = (re.compile(r"^--\s?$"), re.compile(r"^(sent from my|отправлено с|отправлено из|жіберілді)\b", re.I))


def own_words(text: str) -> str:
    """The writer's own words: no quoted lines, nothing from a quote header or the signature on."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if any(p.match(stripped) for p in _QUOTE_HEADERS) or any(p.match(line.rstrip()) for p in _SIGNATURE):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def language_of(text: str) -> str:
    """kk when the letter uses Kazakh letters, ru when Cyrillic outweighs Latin, else en."""
    if any(ch in _KAZAKH for ch in text):
        return "kk"
    return "ru" if len(_CYRILLIC.findall(text)) >= len(_LATIN.findall(text)) and _CYRILLIC.search(text) else "en"


_NAME_LINE = re.compile(r"^\s*(full name|name|фио|ф\.и\.о\.|имя|аты-жөні|аты жөні|аты)\s*[:\-–—]\s*(\S.{1,200})$",
                        re.I | re.M)


def name_in(text: str) -> str | None:
    """A name the writer gave on a line of its own ("Name: …", "ФИО: …", "Аты-жөні: …")."""
    found = _NAME_LINE.search(text)
    return found.group(2).strip() if found else None


def _without_name_line(text: str) -> str:
    return _NAME_LINE.sub("", text).strip()


def submission(letter: Letter, *, earlier: Sequence[Letter] = (), category: str,
               attachments: Sequence[str]) -> dict[str, Any]:
    """Intake's ``appeal.submitted`` for ``letter``; ``earlier``: the letters of the same thread
    intake refused, oldest first, which this one completes (their words, name and subject count).
    The letter's Message-ID is the idempotency key."""
    thread = [*earlier, letter]
    first = thread[0]
    name = next((n for m in reversed(thread) if (n := name_in(m.text) or m.sender_name)), None)
    words = [w for m in thread if (w := _without_name_line(m.text))]
    subject = first.subject if first.subject and not re.match(r"^(re|на|жауап)\s*:", first.subject, re.I) else ""
    text = "\n\n".join([subject, *words] if subject else words)
    return {"channel": "email", "channel_message_id": letter.message_id, "kind": KIND, "category": category,
            "text": text, "language": first.language, "attachments": list(attachments),
            "citizen": {"name": name, "email": letter.sender, "preferred_language": first.language}}


def reply_subject(subject: str, language: str) -> str:
    prefix = {"kk": "Re", "ru": "Re", "en": "Re"}[language]
    return subject if re.match(r"^re\s*:", subject, re.I) else f"{prefix}: {subject or '…'}"


def thread_of(letter: Letter) -> tuple[str, ...]:
    """The References of a reply to ``letter``: its own, then its Message-ID."""
    return (*letter.references, letter.message_id)


def without_address(address: str) -> str:
    """The address's domain only, for a log line that must name no person."""
    return Address(addr_spec=address).domain if "@" in address else "?"
