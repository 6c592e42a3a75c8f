"""The embedded SMS outbox: one JSON line per message, readable by its owner only."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import stat
from pathlib import Path

import orjson

from hub.accounts.models import CodePurpose
from hub.accounts.sms import OutboxSms, code_message


async def test_each_message_is_one_json_line_appended(tmp_path: Path) -> None:
    at = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
    outbox = OutboxSms(tmp_path / "nested" / "sms-outbox.jsonl", clock=lambda: at)
    await outbox.send("+966512345678", "first")
    await outbox.send("+966598765432", "ثانية\nsecond line")
    lines = (tmp_path / "nested" / "sms-outbox.jsonl").read_bytes().splitlines()
    assert [orjson.loads(line) for line in lines] == [
        {"at": "2026-01-05T09:30:00+00:00", "to": "+966512345678", "text": "first"},
        {"at": "2026-01-05T09:30:00+00:00", "to": "+966598765432", "text": "ثانية\nsecond line"},
    ]


async def test_the_outbox_holds_codes_so_only_its_owner_may_read_it(tmp_path: Path) -> None:
    outbox = OutboxSms(tmp_path / "sms-outbox.jsonl")
    await outbox.send("+966512345678", "x")
    assert stat.S_IMODE((tmp_path / "sms-outbox.jsonl").stat().st_mode) == 0o600


async def test_parallel_messages_never_interleave(tmp_path: Path) -> None:
    outbox = OutboxSms(tmp_path / "sms-outbox.jsonl")
    await asyncio.gather(*(outbox.send("+966512345678", f"message {index} " + "x" * 5_000) for index in range(40)))
    lines = (tmp_path / "sms-outbox.jsonl").read_bytes().splitlines()
    assert sorted(orjson.loads(line)["text"].split()[1] for line in lines) == sorted(str(i) for i in range(40))


def test_code_messages_carry_the_code_in_the_account_language() -> None:
    english = code_message(CodePurpose.REGISTRATION, "042917", "en")
    arabic = code_message(CodePurpose.SIGN_IN, "042917", "ar")
    assert "042917" in english and "registration" in english and "5 minutes" in english
    assert "042917" in arabic and re.search(r"[\u0600-\u06FF]", arabic)
    assert code_message(CodePurpose.SIGN_IN, "042917", "en") != english
