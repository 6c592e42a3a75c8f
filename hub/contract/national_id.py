"""The 10-digit numbers people carry: national ID (1…), iqama (2…) and border number (3…).

The check digit is the Luhn sum over all ten digits. The issuing authority publishes no
specification; this is the community-established rule (see docs/domain.md §1.6).
"""

from __future__ import annotations

import enum

# Eastern Arabic (٠-٩) and Persian (۰-۹) digits are what many phones type by default.
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


class IdKind(enum.Enum):
    CITIZEN = "1"
    RESIDENT = "2"
    VISITOR = "3"


class InvalidId(ValueError):
    """The text is not a well-formed 10-digit ID with a valid check digit."""


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(digits):
        digit = ord(char) - 48
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def with_check_digit(first_nine: str) -> str:
    """Completes nine digits into a valid ID (used by the demo data generator)."""
    for check in "0123456789":
        if luhn_ok(first_nine + check):
            return first_nine + check
    raise AssertionError("unreachable: one of ten check digits always fits")  # pragma: no mutate


def normalize_id(text: str) -> str:
    """Returns the ID as ten ASCII digits, or raises InvalidId saying what is wrong."""
    value = text.strip().translate(DIGITS)
    if len(value) != 10 or not value.isascii() or not value.isdigit():
        raise InvalidId("an ID has exactly 10 digits")
    if value[0] not in "123":
        raise InvalidId("an ID starts with 1 (national ID), 2 (iqama) or 3 (border number)")
    if not luhn_ok(value):
        raise InvalidId("the check digit does not match")
    return value


def id_kind(value: str) -> IdKind:
    return IdKind(value[0])
