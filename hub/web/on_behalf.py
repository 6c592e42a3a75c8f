"""`X-On-Behalf-Of`: the establishment an individual acts for in this request.

It travels as `X-Purpose` does, a header beside the token, not a claim in it: one person may be an
authorised user of several establishments, or of none any more, and the header claims nothing the
policy trusts. The access policy checks the caller's authorisation on every request
(`Access.acting_for`), and the audit names the establishment on every record the request writes.
"""

from __future__ import annotations

import dataclasses

from hub.contract.principal import Principal, Role
from hub.contract.unified_number import InvalidUnifiedNumber, normalize_unified_number

HEADER = "X-On-Behalf-Of"


class BadOnBehalfOf(ValueError):
    """The header is not an establishment's unified number, or the caller cannot act for one."""


def acting(principal: Principal, header: str | None) -> Principal:
    """`principal` acting for the establishment the header names (None or empty: for itself), or
    BadOnBehalfOf: only a signed-in individual acts for an establishment."""
    if not header:
        return principal
    if principal.role is not Role.INDIVIDUAL:
        raise BadOnBehalfOf(f"{HEADER} is for a signed-in individual acting for an establishment.")
    try:
        number = normalize_unified_number(header.encode("latin-1").decode())
    except (UnicodeDecodeError, InvalidUnifiedNumber) as error:
        raise BadOnBehalfOf(f"{HEADER}: {error}.") from None
    return dataclasses.replace(principal, on_behalf_of=number)
