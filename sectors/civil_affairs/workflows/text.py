"""What people write on a form, checked: digits, Arabic or Latin text within a length. A wrong
field is BAD_USER_INPUT naming it."""

from __future__ import annotations

import re

from hub.contract import Code, RabtError

TEXT_LIMIT = 60
_ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")
_LATIN_TEXT = re.compile(r"[A-Za-z0-9 .,'/-]*[A-Za-z][A-Za-z0-9 .,'/-]*")


def bad(argument: str, rule: str) -> RabtError:
    return RabtError(Code.BAD_USER_INPUT, f"{argument}: {rule}.", argument=argument)


def digits(value: str, count: int, argument: str) -> str:
    value = value.strip()
    if len(value) != count or not value.isascii() or not value.isdigit():
        raise bad(argument, f"exactly {count} digits (0-9)")
    return value


def text(value: str, argument: str, *, arabic: bool, limit: int = TEXT_LIMIT) -> str:
    value = " ".join(value.split())
    if not value or len(value) > limit:
        raise bad(argument, f"between 1 and {limit} characters")
    if arabic and not _ARABIC_LETTER.search(value):
        raise bad(argument, "written in Arabic letters")
    if not arabic and not _LATIN_TEXT.fullmatch(value):
        raise bad(argument, "written in Latin letters, digits and . , ' / -")
    return value
