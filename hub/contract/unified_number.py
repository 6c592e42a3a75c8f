"""An establishment's unified number (الرقم الموحد): ten digits, the first a 7.

It names a company, not a person: a sponsor may be one (Absher Business), acting through its
authorised users. The issuing authority publishes no check rule for it; the hub checks it as it
checks people's IDs (the Luhn sum over all ten digits, hub.contract.national_id), so a digit
mistyped is refused before anything reaches a database, and the demo's numbers are made to fit.
"""

from __future__ import annotations

from hub.contract.errors import Code, RabtError
from hub.contract.national_id import DIGITS, luhn_ok, with_check_digit

ESTABLISHMENT_DIGIT = "7"


class InvalidUnifiedNumber(ValueError):
    """The text is not ten digits starting with 7 with a valid check digit."""


def normalize_unified_number(text: str) -> str:
    """The number as ten ASCII digits (Eastern Arabic digits accepted), or InvalidUnifiedNumber
    saying what is wrong."""
    value = text.strip().translate(DIGITS)
    if len(value) != 10 or not value.isascii() or not value.isdigit():
        raise InvalidUnifiedNumber("a unified number has exactly 10 digits")
    if value[0] != ESTABLISHMENT_DIGIT:
        raise InvalidUnifiedNumber("an establishment's unified number starts with 7")
    if not luhn_ok(value):
        raise InvalidUnifiedNumber("the check digit does not match")
    return value


def parse_unified_number(text: str, argument: str = "unifiedNumber") -> str:
    """An establishment's unified number from a client, normalised, or INVALID_ID."""
    try:
        return normalize_unified_number(text)
    except InvalidUnifiedNumber as error:
        raise RabtError(Code.INVALID_ID, f"{argument}: {error}.", argument=argument) from None


def unified_number(serial: int) -> str:
    """The demo's unified number for `serial` (0 to 10^8 - 1): 7, eight digits, the check digit."""
    return with_check_digit(f"{ESTABLISHMENT_DIGIT}{serial:08d}")
