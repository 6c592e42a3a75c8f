"""The client address the per-client limits count by: the peer, unless it is a trusted proxy; and the
hub's own server (`python -m hub serve`) does not let uvicorn believe X-Forwarded-For for it."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import socket
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from hub.accounts.ratelimit import AccountLimits, Limit
from hub.cli.serve import serve
from hub.data.db import Database
from hub.data.secrets_store import load_secrets
from hub.settings import Settings, parse_networks
from hub.web.client_address import client_address
from tests.conftest import Api
from tests.hub.accounts.flow import SIGN_IN, new_username

PROXIES = parse_networks("10.0.0.5, 10.1.0.0/16")


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address("127.0.0.1", "203.0.113.7", ()) == "127.0.0.1"
    assert client_address("10.0.0.5", "203.0.113.7", ()) == "10.0.0.5"


def test_a_trusted_proxys_forwarded_address_is_the_client() -> None:
    assert client_address("10.0.0.5", "203.0.113.7", PROXIES) == "203.0.113.7"
    assert client_address("10.0.0.5", "198.51.100.1, 203.0.113.7, 10.1.2.3", PROXIES) == "203.0.113.7"
    assert client_address("10.0.0.5", None, PROXIES) == "10.0.0.5"


def test_an_untrusted_peers_forwarded_for_is_ignored() -> None:
    assert client_address("192.0.2.1", "203.0.113.7", PROXIES) == "192.0.2.1"


def test_garbage_in_forwarded_for_falls_back_to_the_peer() -> None:
    assert client_address("10.0.0.5", "not-an-address", PROXIES) == "10.0.0.5"


def test_trusted_proxies_are_configured_explicitly() -> None:
    assert Settings.from_env({}).trusted_proxies == ()
    assert Settings.from_env({"RABT_TRUSTED_PROXIES": "10.0.0.5,10.1.0.0/16"}).trusted_proxies == (
        ipaddress.ip_network("10.0.0.5/32"),
        ipaddress.ip_network("10.1.0.0/16"),
    )


async def test_serve_runs_uvicorn_without_believing_forwarded_for(
    accounts_api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server `serve` configures, running this hub: a local client inventing a new X-Forwarded-For
    for every attempt, on a new username each time, still counts as one client."""
    accounts_api.hub.accounts.limits = AccountLimits(sign_in_per_client=Limit(3, 900))
    captured: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: captured.update(options))
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'rabt.db'}", data_dir=tmp_path)
    serve(argparse.Namespace(host="127.0.0.1", port=0, log_level="warning", workers=1), settings)
    options = {key: value for key, value in captured.items() if key not in ("host", "port")}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = accounts_api.client._transport.app  # type: ignore[attr-defined]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", **options))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            codes = []
            for attempt in range(4):
                response = await client.post(
                    "/graphql",
                    json={
                        "query": SIGN_IN,
                        "variables": {"input": {"username": new_username(), "password": "Wrong2026A"}},
                    },
                    headers={"x-forwarded-for": f"203.0.113.{attempt + 1}"},
                )
                body = response.json()
                codes.append(
                    body["errors"][0]["extensions"]["code"] if "errors" in body else body["data"]["signIn"]["code"]
                )
    finally:
        server.should_exit = True
        await serving
    assert codes == ["INVALID_CREDENTIALS"] * 3 + ["RATE_LIMITED"]


def test_the_database_and_secrets_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    Database(f"sqlite+aiosqlite:///{data_dir / 'rabt.db'}")
    load_secrets(data_dir, environ={})
    for name in ("rabt.db", "secrets.json"):
        assert stat.S_IMODE(os.stat(data_dir / name).st_mode) == 0o600, name
    assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
