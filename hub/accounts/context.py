"""What the accounts resolvers take from the request context: the services, the audit batch and
the limits on the caller's attempts."""

from __future__ import annotations

from typing import Protocol

import strawberry

from hub.access.policy import Access
from hub.accounts.codes import Checked
from hub.accounts.phones import InvalidMobile, normalize_mobile
from hub.accounts.ratelimit import Backstop, Limit, enforce
from hub.accounts.services import AccountServices
from hub.audit.entries import AuditBatch
from hub.contract import ActingAs, Code, RabtError, Refusal, SectorContext, parse_person_id
from hub.contract.principal import Principal, Role

SECTOR = "accounts"
"""How the audit names what these mutations touch."""


class AccountsContext(SectorContext, Protocol):
    """The request as the accounts resolvers use it: more of it than a sector may see."""

    accounts: AccountServices | None
    principal: Principal
    client_ip: str | None

    @property
    def access(self) -> Access: ...

    @property
    def audit(self) -> AuditBatch: ...


Info = strawberry.Info[AccountsContext, None]
"""The `info` of an accounts resolver."""


def services_of(info: Info) -> AccountServices:
    services: AccountServices | None = info.context.accounts
    if services is None:
        raise RuntimeError("accounts are not configured in this hub (RequestContext.accounts is None)")
    return services


def note(info: Info, person_id: str, acting_as: ActingAs, outcome: str, details: frozenset[str] = frozenset()) -> None:
    """One audit entry: whose account, in what capacity, which mutation (and `details`), and how it
    ended ("ok" or the refusal code)."""
    info.context.audit.note(
        person_id, SECTOR, acting_as.value, {info.field_name, *details}, action=info.field_name, outcome=outcome
    )


def refused(info: Info, person_id: str, acting_as: ActingAs, answer: Refusal) -> Refusal:
    """Notes the refusal against the person whose account it is, and returns it."""
    note(info, person_id, acting_as, answer.code)
    return answer


async def limit_attempts(
    info: Info, action: str, account: str, per_account_client: Limit, per_client: Limit, failures: Limit
) -> Backstop:
    """Counts this attempt per (account, client) and per client, refuses RATE_LIMITED past either or
    once the account's failures from every client fill `failures`; returns that backstop, for the
    caller to count a failure on."""
    services = services_of(info)
    client = info.context.client_ip
    await enforce(
        services.limiter,
        action,
        [("account-client", (account, client), per_account_client), ("client", (client,), per_client)],
    )
    backstop = Backstop(services.limiter, action, account, failures)
    await backstop.check()
    return backstop


async def limit_code_attempts(info: Info, account: str) -> Backstop:
    """One-time code attempts (registration, sign-in, recovery) against `account` (its key, or the
    username typed when no account has it)."""
    limits = services_of(info).limits
    return await limit_attempts(
        info, "code", account, limits.code_per_account_client, limits.code_per_client, limits.code_failures_per_account
    )


def signed_in(info: Info) -> Principal:
    """The caller, who must be an individual signed in with an account (a session's token)."""
    principal = info.context.principal
    if principal.role is not Role.INDIVIDUAL or principal.person_id is None or principal.session is None:
        raise RabtError(Code.FORBIDDEN, "Sign in with your account first: this needs a session's access token.")
    return principal


def id_and_mobile(given_id: str, given_mobile: str) -> tuple[str, str]:
    """The ID and mobile a person typed, checked and normalised (INVALID_ID, BAD_USER_INPUT)."""
    person_id = parse_person_id(given_id, "input.id")
    try:
        return person_id, normalize_mobile(given_mobile)
    except InvalidMobile as error:
        raise RabtError(Code.BAD_USER_INPUT, f"input.mobile: {error}.", argument="input.mobile") from None


async def code_outcome(info: Info, backstop: Backstop, checked: Checked, locked: bool, person_id: str) -> str:
    """After a code was checked (and a wrong guess counted against the account): the failure on the
    backstop, the audit entry, and the outcome, ACCOUNT_LOCKED when that guess locked the account."""
    if checked.wrong_guess:
        await backstop.failed()
    outcome = "ACCOUNT_LOCKED" if locked else checked.result.value
    note(info, person_id, ActingAs.SELF, outcome)
    return outcome
