"""`python -m hub gateway` where Hive Gateway is not installed: one line that says what to run, not
Node's stack trace."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from hub.api import federation
from hub.cli.gateway import _run
from hub.settings import Settings


def _not_started(*_args: object) -> None:
    raise AssertionError("the gateway was started")


def test_a_missing_gateway_is_named_with_the_command_that_installs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(federation, "GATEWAY_BIN", tmp_path / "node_modules" / ".bin" / "hive-gateway")
    monkeypatch.setattr(os, "execvpe", _not_started)
    args = argparse.Namespace(supergraph=str(tmp_path / "supergraph.graphql"), host="127.0.0.1", port=None)
    assert _run(args, Settings(data_dir=tmp_path)) == 1
    assert capsys.readouterr().err == (
        "Hive Gateway is not installed: it needs Node.js and `npm ci` in federation/ (./dev hub gateway does it)\n"
    )
