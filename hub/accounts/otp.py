"""One-time codes sent by SMS: six random digits, valid five minutes, five tries, stored only as
HMAC-SHA256 under the OTP pepper (RABT_OTP_PEPPER), which never enters the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from hub.contract import ascii_digits

CODE_DIGITS = 6
CODE_TTL = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5


def new_code() -> str:
    """Six digits from the operating system's CSPRNG, leading zeros kept."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(pepper: str, code: str) -> str:
    """What is stored for `code`: hex HMAC-SHA256 keyed by the pepper. A copy of the database alone
    cannot be turned back into codes by trying the million candidates."""
    return hmac.new(pepper.encode(), code.encode(), hashlib.sha256).hexdigest()


def normalize_code(text: str) -> str:
    """A code as typed: spaces dropped, Eastern Arabic digits read as the digits they are."""
    return ascii_digits("".join(text.split()))


def code_matches(pepper: str, submitted: str, digest: str) -> bool:
    """Constant-time comparison of a submitted code with a stored digest."""
    code = normalize_code(submitted)
    candidate = code_digest(pepper, code if len(code) == CODE_DIGITS and code.isdigit() else "")
    return hmac.compare_digest(candidate, digest)
