"""Kazakhstan's individual identification number (IIN / ЖСН / ИИН).

Twelve digits: birth date YYMMDD, a digit for century and sex (1–6), four serial digits,
and a check digit. The check digit is the weighted sum of the first eleven digits modulo
11 with weights 1..11; if that gives 10, the weights 3..11,1,2 are used instead; a second
10 means the number is not valid.
"""

from __future__ import annotations

_WEIGHTS_1 = tuple(range(1, 12))
_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def check_digit(first_eleven: str) -> int | None:
    """The check digit of eleven digits, or ``None`` when no digit is valid."""
    digits = [int(c) for c in first_eleven]
    value = sum(d * w for d, w in zip(digits, _WEIGHTS_1, strict=True)) % 11
    if value == 10:
        value = sum(d * w for d, w in zip(digits, _WEIGHTS_2, strict=True)) % 11
    return None if value == 10 else value


def iin_problem(iin: str) -> str | None:
    """Why ``iin`` is not a valid IIN, or ``None`` when it is."""
    if len(iin) != 12 or not iin.isdigit():
        return "must be exactly 12 digits"
    month, day = int(iin[2:4]), int(iin[4:6])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return "does not start with a valid birth date (YYMMDD)"
    if iin[6] not in "0123456":
        return "7th digit (century and sex) must be 0-6"
    expected = check_digit(iin[:11])
    if expected is None or expected != int(iin[11]):
        return "check digit does not match"
    return None
