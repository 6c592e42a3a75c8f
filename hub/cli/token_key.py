"""`python -m hub token-key`: a new token signing key (ES256) as a .env line, or (--public) this
hub's public key as JWKS."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hub.settings import Settings


def _run(args: argparse.Namespace, settings: Settings) -> int:
    import os

    import orjson

    from hub.access.keys import PRIVATE_KEY_VARIABLE, BadKey, SigningKey, jwks, load_signing_key

    if args.public:
        try:
            key = load_signing_key(settings.data_dir, os.environ, generate=False)
        except BadKey as error:
            print(f"rabt: {error}", file=sys.stderr)
            return 2
        print(orjson.dumps(jwks([key.public])).decode())
        return 0
    key = SigningKey.generate()
    print(f"# kid {key.kid}; its public key (RABT_TOKEN_PUBLIC_KEYS): {orjson.dumps(jwks([key.public])).decode()}")
    print(f"{PRIVATE_KEY_VARIABLE}={env_line(key.to_pem())}")
    return 0


def env_line(text: str) -> str:
    """A multi-line value on one line of a .env file: `\\n` for each line break (the key loader reads it so)."""
    return text.strip().replace("\n", "\\n")


def add_parser(commands: Any) -> None:
    command = commands.add_parser(
        "token-key", help="print a new token signing key (ES256) for RABT_TOKEN_PRIVATE_KEY, with its public key"
    )
    command.add_argument("--public", action="store_true", help="print this hub's public key (JWKS) instead")
    command.set_defaults(run=_run)
