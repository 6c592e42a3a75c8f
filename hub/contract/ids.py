"""People's IDs and digits as clients type them."""

from __future__ import annotations

from typing import Annotated

import strawberry

from hub.contract.errors import Code, RabtError
from hub.contract.national_id import DIGITS, InvalidId, normalize_id

PersonId = Annotated[
    strawberry.ID,
    strawberry.argument(
        description="A person's ten-digit ID: national ID (1…), iqama (2…) or border number (3…). "
        "Eastern Arabic digits are accepted."
    ),
]


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
