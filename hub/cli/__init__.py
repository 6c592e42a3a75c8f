"""`python -m hub <command>`: one command line for operators, each command in the module named after it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar, overload

from hub.cli import (
    audit_verify,
    compose_file,
    db_roles,
    env_file,
    gateway,
    migrate,
    new_sector,
    notify_expiries,
    schema,
    seed,
    serve,
    subgraph,
    token,
    token_key,
)
from hub.settings import Settings, SettingsError
from hub.telemetry import logs

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
    for command in (
        serve,
        subgraph,
        gateway,
        seed,
        schema,
        audit_verify,
        token,
        token_key,
        env_file,
        migrate,
        notify_expiries,
        compose_file,
        new_sector,
        db_roles,
    ):
        command.add_parser(commands)
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
