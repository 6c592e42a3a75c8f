"""The accounts tables: an account per person, its one-time codes, its sessions with their refresh
tokens, and the sessions ended before their time (which every hub process turns away).

Secrets are never stored: passwords as argon2 hashes, one-time codes as HMAC-SHA256 under the
OTP pepper, refresh tokens and code challenges as SHA-256 digests.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import ClassVar

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hub.contract import sector_metadata

_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY only


class AccountStatus(enum.StrEnum):
    """pending_phone -> (SMS code) -> pending_activation -> (kiosk officer) -> active."""

    PENDING_PHONE = "pending_phone"
    PENDING_ACTIVATION = "pending_activation"
    ACTIVE = "active"
    LOCKED = "locked"


class CodePurpose(enum.StrEnum):
    REGISTRATION = "registration"
    SIGN_IN = "sign_in"
    RECOVERY = "recovery"


def _values(kind: type[enum.Enum]) -> str:
    return ", ".join(f"'{member.value}'" for member in kind)


class AccountsBase(DeclarativeBase):
    # Declarative types __table__ as any FROM clause; every class here maps a Table.
    __table__: ClassVar[Table]
    metadata = sector_metadata()


class AccountRow(AccountsBase):
    __tablename__ = "accounts_accounts"
    __table_args__ = (
        CheckConstraint(f"status IN ({_values(AccountStatus)})", name="status"),
        CheckConstraint("language IN ('ar', 'en')", name="language"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(
        String(32), unique=True, comment="the account's opaque reference shown to clients (random, not the key)"
    )
    username: Mapped[str] = mapped_column(String(32), comment="as the person typed it; cannot be changed")
    username_key: Mapped[str] = mapped_column(
        String(32), unique=True, comment="the username in lower case: usernames are unique regardless of case"
    )
    person_id: Mapped[str] = mapped_column(String(10), unique=True, comment="the owner's 10-digit ID")
    password_hash: Mapped[str] = mapped_column(String(255), comment="argon2id, PHC string format")
    status: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2), comment="preferred language of messages: ar or en")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    activated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    activated_by: Mapped[str | None] = mapped_column(String(96), comment="the officer who activated it")
    failed_attempts: Mapped[int] = mapped_column(
        Integer, default=0, comment="consecutive failed passwords and codes; locked at hub.accounts.lockout.LOCK_AFTER"
    )
    locked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class OneTimeCodeRow(AccountsBase):
    __tablename__ = "accounts_one_time_codes"
    __table_args__ = (
        CheckConstraint(f"purpose IN ({_values(CodePurpose)})", name="purpose"),
        Index("ix_accounts_one_time_codes_account_purpose", "account_id", "purpose", "id"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts_accounts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))
    code_hash: Mapped[str] = mapped_column(String(64), comment="HMAC-SHA256(RABT_OTP_PEPPER, code), hex")
    challenge_hash: Mapped[str] = mapped_column(
        String(64), comment="SHA-256 of the challenge given to whoever asked for the code, hex"
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0, comment="codes tried against this one, right or wrong")
    consumed_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), comment="when it was used or superseded by a newer code; null while usable"
    )


class SessionRow(AccountsBase):
    """One sign-in: its access tokens carry its id (`sid`); its refresh tokens rotate within it."""

    __tablename__ = "accounts_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, comment="random; the access tokens' sid claim")
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts_accounts.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), comment="the absolute end: refreshing never moves it"
    )
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class RefreshTokenRow(AccountsBase):
    __tablename__ = "accounts_refresh_tokens"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts_accounts.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("accounts_sessions.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256 of the token, hex")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class RevocationRow(AccountsBase):
    """A session ended before its time. Every hub process reads the rows it has not seen yet and turns
    the session's access tokens away (hub.accounts.revocations)."""

    __tablename__ = "accounts_revocations"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(32))
    until: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), index=True, comment="the session's absolute end: no token of it is valid after"
    )


# The Core tables, for statements that read or write columns without loading ORM objects.
ACCOUNTS = AccountRow.__table__
ONE_TIME_CODES = OneTimeCodeRow.__table__
REFRESH_TOKENS = RefreshTokenRow.__table__
SESSIONS = SessionRow.__table__
REVOCATIONS = RevocationRow.__table__
