"""`python -m hub <command>`: one command line for operators."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar, overload

from hub.cli import audit_verify, compose_file, db_roles, migrate, new_sector, notify_expiries
from hub.settings import Settings, SettingsError
from hub.telemetry import logs

SCHEMAS = Path("schemas")


# uvicorn rewrites the client's address from X-Forwarded-For when the peer is 127.0.0.1 by default
# (its forwarded_allow_ips): a local client could then be anyone. The hub reads that header itself,
# from the proxies in RABT_TRUSTED_PROXIES only (hub.web.client_address).


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.workers > 1:
        _count_across_workers()
    import uvicorn

    from hub.contract.population import PERSONAS
    from hub.web.app import create_app
    from hub.web.server import uvicorn_options

    if args.workers > 1 and settings.database_url.startswith("sqlite"):
        print("several workers need PostgreSQL (RABT_DATABASE_URL): SQLite has one writer", file=sys.stderr)
        return 2
    if _refused(settings):
        return 1
    url = f"http://{args.host}:{args.port}/graphql"
    from sqlalchemy.engine import make_url

    database = make_url(settings.database_url).render_as_string(hide_password=True)
    print(f"Rabt hub on {url} (GraphiQL in a browser; database {database})")
    if not settings.is_production:
        print("Demo people to try (query PersonStatus with their ID):")
        for persona in PERSONAS:
            print(f"  {persona.id}  {persona.key}: {persona.story}")
        print("Sign in as one of them:  ./dev hub token individual 1010000014   (prints a bearer token)")
    if args.workers > 1:
        asyncio.run(_seed_people(settings, reset=False, drop_audit=False))  # once, before the workers
        uvicorn.run(
            "hub.web.app:app_from_env",
            factory=True,
            workers=args.workers,
            host=args.host,
            port=args.port,
            **uvicorn_options(settings),
        )
        return 0
    uvicorn.run(create_app(settings), host=args.host, port=args.port, **uvicorn_options(settings))
    return 0


def _count_across_workers() -> None:
    """Metrics of several workers add up through files in PROMETHEUS_MULTIPROC_DIR (a fresh
    directory unless the operator named one, emptied of an earlier run's files either way); set
    before any worker imports prometheus_client."""
    import os
    import tempfile

    folder = Path(os.environ.get(MULTIPROCESS_DIR) or tempfile.mkdtemp(prefix="rabt-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_DIR] = str(folder)


MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # hub.telemetry.metrics; not imported: that imports prometheus_client


def _subgraph(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from hub.api.federation import subgraphs
    from hub.registry import enabled_sectors
    from hub.web.app import create_app
    from hub.web.hub import Hub
    from hub.web.server import uvicorn_options

    known = {subgraph.name: subgraph for subgraph in subgraphs(enabled_sectors(settings.sectors))}
    if args.name not in known:
        print(f"unknown subgraph {args.name!r}; one of: {', '.join(known)}", file=sys.stderr)
        return 2
    if _refused(settings):
        return 1
    port = args.port or known[args.name].port
    print(f"Rabt subgraph {args.name} on http://{args.host}:{port}/graphql (Apollo Federation v2)", flush=True)
    app = create_app(settings, Hub.build(settings, subgraph=args.name))
    uvicorn.run(app, host=args.host, port=port, **uvicorn_options(settings))
    return 0


def _gateway(args: argparse.Namespace, settings: Settings) -> int:
    import os

    from hub.api.federation import FEDERATION_DIR, GATEWAY_PORT, gateway_command

    supergraph = Path(args.supergraph).resolve()
    env = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT", "CONFIG_PATH", "POLLING")}
    env.update(
        RABT_SUPERGRAPH=str(supergraph), RABT_GATEWAY_HOST=args.host, RABT_GATEWAY_PORT=str(args.port or GATEWAY_PORT)
    )
    from hub.data.secrets_store import load_secrets

    # The gateway signs every subgraph request with the deployment's secret; on the embedded demo
    # that is the one the subgraphs read from the same data directory.
    env.setdefault("RABT_GATEWAY_HMAC_SECRET", load_secrets(settings.data_dir)["RABT_GATEWAY_HMAC_SECRET"])
    env.setdefault("RABT_GATEWAY_SUBGRAPH_TIMEOUT", str(settings.subgraph_timeout))
    env.setdefault("RABT_RETRY_AFTER", str(settings.retry_after))
    command = gateway_command()
    print(f"Hive Gateway on http://{args.host}:{args.port or GATEWAY_PORT}/graphql over {supergraph}", flush=True)
    os.chdir(FEDERATION_DIR.parent)
    os.execvpe(command[0], command, env)


def _refused(settings: Settings) -> bool:
    """Says why, and returns True, when the database is not at its migrations' heads. The
    embedded demo migrates itself at start instead (`Settings.migrates_itself`)."""
    from hub.migrations import MigrationError, check

    if settings.migrates_itself:
        return False
    try:
        for url, found in migrate.databases_of(settings):
            asyncio.run(check(url, found))
    except MigrationError as error:
        print(f"rabt: {error}", file=sys.stderr)
        return True
    return False


def _seed(args: argparse.Namespace, settings: Settings) -> int:
    from hub.migrations import MigrationError, upgrade

    if args.drop_audit and not args.reset:
        print("seed: --drop-audit goes with --reset", file=sys.stderr)
        return 2
    try:
        for url, found in migrate.databases_of(settings):
            asyncio.run(upgrade(url, found, progress=_said("migrate")))
    except MigrationError as error:
        print(f"migrate: {error}", file=sys.stderr)
        return 1
    today = dt.date.fromisoformat(args.today) if args.today else None
    if not asyncio.run(_seed_people(settings, args.reset, args.drop_audit, args.people, today)):
        print("seed: the database already holds people; nothing changed (use --reset to start again)")
    return 0


async def _seed_people(
    settings: Settings, reset: bool, drop_audit: bool, people: int | None = None, today: dt.date | None = None
) -> bool:
    from hub.data.db import Database
    from hub.registry import enabled_sectors
    from hub.seed import empty_tables, seed

    db = Database(settings.database_url)
    sectors = enabled_sectors(settings.sectors)
    urls = settings.sector_database_urls([s.name for s in sectors])
    own = {name: Database(url) for name, url in urls.items()}
    try:
        if reset:
            kept = await empty_tables(db, [s for s in sectors if s.name not in own], audit=drop_audit)
            for url in dict.fromkeys(urls.values()):  # each database of sectors apart, once
                held = [s for s in sectors if urls.get(s.name) == url]
                await empty_tables(own[held[0].name], held, audit=drop_audit, hub=False)
            if kept:
                print(f"seed: kept the audit trail ({kept:,} records); --drop-audit empties it too")
        return await seed(
            db,
            sectors,
            people=people or settings.seed_people,
            seed_value=settings.seed,
            today=today,
            progress=_said("seed"),
            databases=own,
        )
    finally:
        await db.dispose()
        for sector_db in own.values():
            await sector_db.dispose()


def _said(prefix: str) -> Callable[[str], None]:
    return lambda line: print(f"{prefix}: {line}", flush=True)


def _schema(args: argparse.Namespace, settings: Settings) -> int:
    from hub.cli.sdl import write_schemas

    changed = write_schemas(Path(args.out), check=args.check, with_supergraph=not args.no_supergraph)
    for path in changed:
        print(f"{'stale' if args.check else 'wrote'} {path}")
    return 1 if args.check and changed else 0


def _token(args: argparse.Namespace, settings: Settings) -> int:
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


def _token_key(args: argparse.Namespace, settings: Settings) -> int:
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


def _env_file(args: argparse.Namespace, settings: Settings) -> int:
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


N = TypeVar("N")


class _CommandParser(argparse.ArgumentParser):
    """A command's own parser: its positionals may follow its options (`migrate downgrade
    --component hub base`), which argparse refuses for an optional positional unless intermixed."""

    _intermixing = False

    @overload
    def parse_known_args(
        self, args: Iterable[str] | None = None, namespace: None = None
    ) -> tuple[argparse.Namespace, list[str]]: ...

    @overload
    def parse_known_args(self, args: Iterable[str] | None, namespace: N) -> tuple[N, list[str]]: ...

    @overload
    def parse_known_args(self, *, namespace: N) -> tuple[N, list[str]]: ...

    def parse_known_args(self, args: Iterable[str] | None = None, namespace: Any = None) -> tuple[Any, list[str]]:
        if self._intermixing:  # parse_known_intermixed_args calls back here, twice
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hub", description="Rabt hub: serve, seed, schema, …")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_CommandParser)

    serve = commands.add_parser("serve", help="serve the hub (the embedded demo migrates and seeds itself at start)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default=None, help="default RABT_LOG_LEVEL (info)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (PostgreSQL only); one per core")
    serve.set_defaults(run=_serve)

    subgraph = commands.add_parser("subgraph", help="serve one Apollo Federation v2 subgraph: identity or a sector")
    subgraph.add_argument("name")
    subgraph.add_argument("--host", default="127.0.0.1")
    subgraph.add_argument("--port", type=int, default=None, help="default: 4001 for identity, then one per sector")
    subgraph.add_argument("--log-level", default=None, help="default RABT_LOG_LEVEL (info)")
    subgraph.set_defaults(run=_subgraph)

    gateway = commands.add_parser("gateway", help="run Hive Gateway (Node.js) over a composed supergraph")
    gateway.add_argument("--supergraph", default=str(SCHEMAS / "supergraph.graphql"))
    gateway.add_argument("--host", default="127.0.0.1")
    gateway.add_argument("--port", type=int, default=None, help="default 4000")
    gateway.set_defaults(run=_gateway)

    seed = commands.add_parser("seed", help="migrate the tables to head and seed the demo data (once)")
    seed.add_argument("--people", type=int, default=None, help="how many people (default RABT_SEED_PEOPLE or 10000)")
    seed.add_argument("--reset", action="store_true", help="empty every table first, but the audit trail's")
    seed.add_argument("--drop-audit", action="store_true", help="with --reset: empty the audit trail too, for good")
    seed.add_argument("--today", default=None, help="reference date, YYYY-MM-DD (default: today)")
    seed.set_defaults(run=_seed)

    schema = commands.add_parser("schema", help="write the SDL files under schemas/")
    schema.add_argument("--out", default=str(SCHEMAS))
    schema.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is stale")
    schema.add_argument("--no-supergraph", action="store_true", help="skip composition (needs Node.js)")
    schema.set_defaults(run=_schema)

    audit_verify.add_parser(commands)

    token = commands.add_parser("token", help="print a demo bearer token (signed with this hub's signing key)")
    token.add_argument("role", choices=["individual", "officer", "analyst", "service"])
    token.add_argument("subject", nargs="?", default=None, help="the person's ID, or the service's client name")
    token.add_argument("--sector", default=None, help="an officer's sector")
    token.add_argument("--scope", action="append", help="a service's scope, e.g. traffic (repeatable)")
    token.add_argument("--hours", type=float, default=8.0)
    token.set_defaults(run=_token)

    token_key = commands.add_parser(
        "token-key", help="print a new token signing key (ES256) for RABT_TOKEN_PRIVATE_KEY, with its public key"
    )
    token_key.add_argument("--public", action="store_true", help="print this hub's public key (JWKS) instead")
    token_key.set_defaults(run=_token_key)

    env_file = commands.add_parser("env-file", help="print a .env of fresh secrets for docker-compose.yml")
    env_file.set_defaults(run=_env_file)

    migrate.add_parser(commands)
    notify_expiries.add_parser(commands)
    compose_file.add_parser(commands)
    new_sector.add_parser(commands)
    db_roles.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"rabt: {error}", file=sys.stderr)
        return 2
    level = getattr(args, "log_level", None) or settings.log_level
    if getattr(args, "log_level", None):
        # uvicorn's workers build their app from the environment (`app_from_env`): the same level there.
        import os

        os.environ["RABT_LOG_LEVEL"] = level
    logs.configure(settings.logs_as, level)
    try:
        return int(args.run(args, settings))
    except SettingsError as error:  # found while building what the command runs (keys, secrets)
        print(f"rabt: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
