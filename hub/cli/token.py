"""`python -m hub token ROLE [SUBJECT]`: a demo bearer token, signed with this hub's signing key."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from hub.settings import Settings


def _run(args: argparse.Namespace, settings: Settings) -> int:
    import os

    from hub.access.keys import BadKey, load_signing_key
    from hub.access.tokens import TokenIssuer
    from hub.contract.principal import Principal, Role

    role = Role(args.role)
    principal = Principal(
        role=role,
        person_id=args.subject if role in (Role.INDIVIDUAL, Role.OFFICER) else None,
        sector=args.sector,
        scopes=frozenset(args.scope or ()),
        client=args.subject if role is Role.SERVICE else None,
    )
    try:
        key = load_signing_key(settings.data_dir, os.environ, generate=not settings.is_production)
    except BadKey as error:
        print(f"rabt: {error}", file=sys.stderr)
        return 2
    print(TokenIssuer(key).issue(principal, ttl=dt.timedelta(hours=args.hours)))
    return 0


def add_parser(commands: Any) -> None:
    command = commands.add_parser("token", help="print a demo bearer token (signed with this hub's signing key)")
    command.add_argument("role", choices=["individual", "officer", "analyst", "service"])
    command.add_argument("subject", nargs="?", default=None, help="the person's ID, or the service's client name")
    command.add_argument("--sector", default=None, help="an officer's sector")
    command.add_argument("--scope", action="append", help="a service's scope, e.g. traffic (repeatable)")
    command.add_argument("--hours", type=float, default=8.0)
    command.set_defaults(run=_run)
