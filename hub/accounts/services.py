"""What the accounts mutations need at run time, built once per hub from its settings.

Resolvers reach it as `info.context.accounts`. Nothing here imports `hub.contract` or
`hub.api.context`, so the request context can name `AccountServices` without an import cycle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hub.access.tokens import TokenIssuer, TokenVerifier
from hub.accounts.hashing import PasswordHashing
from hub.accounts.ratelimit import AccountLimits, RateLimiter
from hub.accounts.sessions import EndedSession, SessionPolicy
from hub.accounts.sms import OUTBOX_NAME, OutboxSms, SmsSender
from hub.data.db import Database, stored_utc
from hub.data.secrets_store import load_secrets
from hub.settings import Settings


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class AccountServices:
    """The accounts' database, token signer, the hub's token verifier (which turns away the tokens
    of ended sessions), SMS sender, rate limiter, OTP pepper, session policy, password hashing and
    clock."""

    db: Database
    signer: TokenIssuer
    verifier: TokenVerifier
    sms: SmsSender
    limiter: RateLimiter
    pepper: str
    limits: AccountLimits = field(default_factory=AccountLimits)
    sessions: SessionPolicy = field(default_factory=SessionPolicy)
    passwords: PasswordHashing = field(default_factory=PasswordHashing)
    clock: Callable[[], dt.datetime] = utc_now

    def forget(self, ended: Sequence[EndedSession]) -> None:
        """Sessions ended by a committed mutation: this process turns their tokens away at once."""
        for session in ended:
            self.verifier.revoke(session.id, stored_utc(session.until).timestamp())

    async def aclose(self) -> None:
        """Closes the limiter's connections (Redis); call it when the hub shuts down."""
        await self.limiter.aclose()


def build_account_services(
    settings: Settings, db: Database, signer: TokenIssuer, verifier: TokenVerifier
) -> AccountServices:
    """Redis limits when `RABT_REDIS_URL` is set (every replica shares them), in-memory otherwise;
    SMS go to `<data_dir>/sms-outbox.jsonl`; the pepper is RABT_OTP_PEPPER (environment or the
    data directory's generated secrets); session lifetimes from the settings."""
    limiter = RateLimiter.redis(settings.redis_url) if settings.redis_url else RateLimiter.in_memory()
    return AccountServices(
        db=db,
        signer=signer,
        verifier=verifier,
        sms=OutboxSms(settings.data_dir / OUTBOX_NAME),
        limiter=limiter,
        pepper=load_secrets(settings.data_dir)["RABT_OTP_PEPPER"],
        sessions=SessionPolicy(lifetime=settings.session_lifetime, idle=settings.session_idle),
    )
