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
    refused = _refused(role, args)
    if refused is not None:
        print(f"rabt: token: {refused}", file=sys.stderr)
        return 2
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


def _refused(role: Any, args: argparse.Namespace) -> str | None:
    """Why these arguments make no token the hub would honour as meant (None: they do)."""
    from hub.contract import RabtError, parse_person_id
    from hub.contract.principal import Role
    from hub.registry import installed_sectors

    if not args.hours > 0:
        return "--hours must be more than 0"
    if role is Role.SERVICE:
        if not args.subject:
            return "a service token names its client: token service CLIENT --scope SCOPE"
        return None if args.scope else "a service token needs at least one --scope"
    if role is Role.OFFICER:
        # Without a sector an officer reads identity and activates accounts (a kiosk's desk), no more.
        sectors = sorted(sector.name for sector in installed_sectors())
        if args.sector is not None and args.sector not in sectors:
            return f"--sector is one of {', '.join(sectors)}"
    elif args.sector is not None:
        return "--sector is for officers"
    if role in (Role.INDIVIDUAL, Role.OFFICER):
        if args.subject is None:
            return f"a token for {'a person' if role is Role.INDIVIDUAL else 'an officer'} names their ID"
        try:
            args.subject = parse_person_id(args.subject, "subject")
        except RabtError as error:
            return error.message
    elif args.subject is not None:
        return "an analyst's token names no one"
    return None


def add_parser(commands: Any) -> None:
    command = commands.add_parser("token", help="print a demo bearer token (signed with this hub's signing key)")
    command.add_argument("role", choices=["individual", "officer", "analyst", "service"])
    command.add_argument("subject", nargs="?", default=None, help="the person's ID, or the service's client name")
    command.add_argument("--sector", default=None, help="an officer's sector (none: an activation desk's officer)")
    command.add_argument("--scope", action="append", help="a service's scope, e.g. traffic (repeatable; one at least)")
    command.add_argument("--hours", type=float, default=8.0, help="how long the token is valid (default 8)")
    command.set_defaults(run=_run)
