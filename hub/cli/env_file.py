"""`python -m hub env-file`: a .env of fresh secrets for one docker-compose deployment."""

from __future__ import annotations

import argparse
from typing import Any

from hub.cli.token_key import env_line
from hub.settings import Settings


def _run(args: argparse.Namespace, settings: Settings) -> int:
    import secrets

    from hub.access.keys import PRIVATE_KEY_VARIABLE, SigningKey
    from hub.cli.db_roles import password_variable, privileges
    from hub.data.secrets_store import NAMES
    from hub.registry import installed_sectors

    print("# Secrets of one docker-compose deployment (python -m hub env-file); keep this file out of git.")
    print(f"RABT_POSTGRES_PASSWORD={secrets.token_urlsafe(32)}")
    for role in privileges(installed_sectors()):
        print(f"{password_variable(role.name)}={secrets.token_urlsafe(32)}")
    for name in NAMES:
        print(f"{name}={secrets.token_urlsafe(48)}")
    print(f"{PRIVATE_KEY_VARIABLE}={env_line(SigningKey.generate().to_pem())}")
    return 0


def add_parser(commands: Any) -> None:
    command = commands.add_parser("env-file", help="print a .env of fresh secrets for docker-compose.yml")
    command.set_defaults(run=_run)
