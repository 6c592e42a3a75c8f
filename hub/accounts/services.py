"""What the accounts mutations need at run time, built once per hub from its settings.

Resolvers reach it as `info.context.accounts`. Nothing here imports `hub.contract` or
`hub.api.context`, so the request context can name `AccountServices` without an import cycle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from hub.access.tokens import TokenIssuer
from hub.accounts.ratelimit import AccountLimits, MemoryRateLimiter, RateLimiter, RedisRateLimiter
from hub.accounts.sms import OUTBOX_NAME, OutboxSms, SmsSender
from hub.data.db import Database
from hub.data.secrets_store import load_secrets
from hub.settings import Settings


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class AccountServices:
    """The accounts' database, token signer, SMS sender, rate limiter, OTP pepper and clock."""

    db: Database
    signer: TokenIssuer
    sms: SmsSender
    limiter: RateLimiter
    pepper: str
    limits: AccountLimits = field(default_factory=AccountLimits)
    clock: Callable[[], dt.datetime] = utc_now

    async def aclose(self) -> None:
        """Closes the limiter's connections (Redis); call it when the hub shuts down."""
        await self.limiter.aclose()


def build_account_services(settings: Settings, db: Database, signer: TokenIssuer) -> AccountServices:
    """Redis limits when `RABT_REDIS_URL` is set (every replica shares them), in-memory otherwise;
    SMS go to `<data_dir>/sms-outbox.jsonl`; the pepper is RABT_OTP_PEPPER (environment or the
    data directory's generated secrets)."""
    limiter: RateLimiter = RedisRateLimiter.from_url(settings.redis_url) if settings.redis_url else MemoryRateLimiter()
    return AccountServices(
        db=db,
        signer=signer,
        sms=OutboxSms(settings.data_dir / OUTBOX_NAME),
        limiter=limiter,
        pepper=load_secrets(settings.data_dir)["RABT_OTP_PEPPER"],
    )
