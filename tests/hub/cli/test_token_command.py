"""`python -m hub token` mints only tokens the hub honours as meant: a person and an officer name a
valid ID, an officer's sector is one the hub has, a service names its client and a scope."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hub.access.keys import load_signing_key
from hub.access.tokens import PublicKeys, TokenVerifier
from hub.cli import main
from hub.contract.principal import Role


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RABT_DATA_DIR", str(tmp_path))


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["officer", "1000000008", "--sector", "nope"], "--sector is one of civil_affairs, civil_defence,"),
        (["officer", "--sector", "traffic"], "a token for an officer names their ID"),
        (["individual"], "a token for a person names their ID"),
        (["individual", "123"], "subject: an ID has exactly 10 digits."),
        (["individual", "1010000014", "--sector", "traffic"], "--sector is for officers"),
        (["individual", "1010000014", "--hours", "0"], "--hours must be more than 0"),
        (["service"], "a service token names its client"),
        (["service", "billing"], "a service token needs at least one --scope"),
        (["analyst", "1000000008"], "an analyst's token names no one"),
    ],
)
def test_a_token_the_hub_would_not_honour_as_meant_is_refused(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", *argv]) == 2
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err.startswith("rabt: token: ") and said in printed.err


def test_an_officers_token_carries_the_canonical_id_and_the_sector(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "officer", "١٠٠٠٠٠٠٠٠٨", "--sector", "traffic"]) == 0
    token = capsys.readouterr().out.strip()
    key = load_signing_key(tmp_path, os.environ, generate=False)  # as the command found it
    verifier = TokenVerifier(PublicKeys({key.kid: key.public}))
    principal = verifier.verify_known(token, None)
    assert (principal.role, principal.person_id, principal.sector) == (Role.OFFICER, "1000000008", "traffic")
