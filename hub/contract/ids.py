"""People's IDs and digits as clients type them."""

from __future__ import annotations

from hub.contract.errors import Code, RabtError
from hub.contract.national_id import DIGITS, InvalidId, normalize_id


def parse_person_id(text: str, argument: str = "id") -> str:
    """A person ID from a client, normalised (Eastern Arabic digits accepted) or refused with
    INVALID_ID before anything reaches a database."""
    try:
        return normalize_id(text)
    except InvalidId as error:
        raise RabtError(Code.INVALID_ID, f"{argument}: {error}.", argument=argument) from None


def ascii_digits(text: str) -> str:
    """Eastern Arabic and Persian digits as ASCII, as people type numbers on Arabic keyboards."""
    return text.translate(DIGITS)
