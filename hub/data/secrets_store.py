"""Secrets come from the environment; the embedded demo generates its own on first start and keeps
them in its data directory (never in the repository). The token signing key is kept beside them
(`hub.access.keys.load_signing_key`)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import orjson

from hub.data.files import private_file

NAMES = ("RABT_OTP_PEPPER", "RABT_STATISTICS_KEY", "RABT_GATEWAY_HMAC_SECRET")


def load_secrets(data_dir: Path, environ: dict[str, str] | None = None) -> dict[str, str]:
    env = os.environ if environ is None else environ
    if all(env.get(name) for name in NAMES):
        return {name: env[name] for name in NAMES}
    path = data_dir / "secrets.json"
    stored: dict[str, str] = orjson.loads(path.read_bytes()) if path.exists() else {}
    missing = [name for name in NAMES if not env.get(name) and not stored.get(name)]
    if missing:
        for name in missing:
            stored[name] = secrets.token_urlsafe(48)
        private_file(path)
        path.write_bytes(orjson.dumps(stored, option=orjson.OPT_INDENT_2))
    return {name: env.get(name) or stored[name] for name in NAMES}
