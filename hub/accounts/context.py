"""What the accounts resolvers take from the request context: the services and the audit batch."""

from __future__ import annotations

from hub.accounts.ratelimit import enforce
from hub.accounts.services import AccountServices
from hub.contract import ActingAs, Info, Refusal

SECTOR = "accounts"
"""How the audit names what these mutations touch."""


def services_of(info: Info) -> AccountServices:
    services: AccountServices | None = info.context.accounts
    if services is None:
        raise RuntimeError("accounts are not configured in this hub (RequestContext.accounts is None)")
    return services


def note(info: Info, person_id: str, acting_as: ActingAs, outcome: str) -> None:
    """One audit entry: whose account, in what capacity, which mutation, and how it ended
    ("ok" or the refusal code)."""
    info.context.audit.note(
        person_id, SECTOR, acting_as.value, {info.field_name}, action=info.field_name, outcome=outcome
    )


def refused(info: Info, person_id: str | None, acting_as: ActingAs, answer: Refusal) -> Refusal:
    """Notes the refusal against the person (when the caller has shown whose account it is) and
    returns it."""
    if person_id is not None:
        note(info, person_id, acting_as, answer.code)
    return answer


async def enforce_code_attempts(info: Info, username_key: str) -> None:
    """One-time code attempts, limited per username and per client (RATE_LIMITED past either)."""
    services = services_of(info)
    await enforce(
        services.limiter,
        "code",
        [
            ("username", username_key, services.limits.code_per_username),
            ("ip", info.context.client_ip, services.limits.code_per_ip),
        ],
    )
