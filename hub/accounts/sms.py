"""Sending SMS: the `SmsSender` seam, the embedded outbox, and the texts of the messages.

A real SMS gateway is outside Rabt. The embedded default, `OutboxSms`, appends each message as one
JSON line to `<data_dir>/sms-outbox.jsonl`, where a person trying the demo reads their codes. A
deployment supplies its own `SmsSender` (an adapter to its provider) instead.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import orjson

from hub.accounts.models import CodePurpose
from hub.accounts.otp import CODE_TTL

OUTBOX_NAME = "sms-outbox.jsonl"


class SmsSender(Protocol):
    async def send(self, mobile: str, text: str) -> None:
        """Sends `text` to `mobile` (+9665XXXXXXXX) or raises; returning means it was accepted."""
        ...


class OutboxSms:
    """Appends `{"at", "to", "text"}` as one JSON line per message. The file holds live codes, so
    it is created readable by its owner only; appends are serialised so lines never interleave."""

    def __init__(self, path: Path, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.path = path
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._lock = asyncio.Lock()

    async def send(self, mobile: str, text: str) -> None:
        line = orjson.dumps({"at": self._clock().isoformat(), "to": mobile, "text": text}) + b"\n"
        async with self._lock:
            await asyncio.to_thread(self._append, line)

    def _append(self, line: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, line)
        finally:
            os.close(descriptor)


_MINUTES = int(CODE_TTL.total_seconds() // 60)
_TEXTS: dict[tuple[CodePurpose, str], str] = {
    (CodePurpose.REGISTRATION, "en"): (
        "Rabt: your registration code is {code}. It is valid for {minutes} minutes. Never share it with anyone."
    ),
    (CodePurpose.REGISTRATION, "ar"): (
        "ربط: رمز التحقق لتسجيل حسابك هو {code}، صالح لمدة {minutes} دقائق. لا تشاركه مع أي أحد."
    ),
    (CodePurpose.SIGN_IN, "en"): (
        "Rabt: your sign-in code is {code}. It is valid for {minutes} minutes. "
        "If you did not try to sign in, change your password."
    ),
    (CodePurpose.SIGN_IN, "ar"): (
        "ربط: رمز الدخول هو {code}، صالح لمدة {minutes} دقائق. إذا لم تحاول الدخول فغيّر كلمة المرور."
    ),
    (CodePurpose.RECOVERY, "en"): (
        "Rabt: your account recovery code is {code}. It is valid for {minutes} minutes. "
        "If you did not ask for it, ignore this message and never share it."
    ),
    (CodePurpose.RECOVERY, "ar"): (
        "ربط: رمز استعادة حسابك هو {code}، صالح لمدة {minutes} دقائق. إذا لم تطلبه فتجاهل هذه الرسالة ولا تشاركه."
    ),
}


def code_message(purpose: CodePurpose, code: str, language: str) -> str:
    """The SMS carrying a one-time code, in the account's preferred language (ar or en)."""
    return _TEXTS[(purpose, language if language in ("ar", "en") else "ar")].format(code=code, minutes=_MINUTES)
