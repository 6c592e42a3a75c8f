"""The `bench` subcommand of `python -m hub` (hub/cli.py registers it with `add_parser`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.settings import Settings

if TYPE_CHECKING:
    from bench.runner import BenchResult


def _concurrency(text: str) -> tuple[int, ...]:
    try:
        levels = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of positive integers, e.g. 4,32") from None
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("a comma-separated list of positive integers, e.g. 4,32")
    return levels


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a positive integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError("a positive integer")
    return value


def _run(args: argparse.Namespace, _settings: Settings) -> int:
    from bench.runner import Options, run

    database = "postgresql" if args.database_url and args.database_url.startswith("postgresql") else args.database
    result = run(
        Options(
            database=database,
            database_url=args.database_url,
            people=args.people,
            seed=args.seed,
            duration=args.duration,
            warmup=args.warmup,
            concurrency=args.concurrency,
            workers=args.workers,
            shape=args.shape,
            max_requests=args.max_requests,
            client=args.client,
            sample=args.sample,
            only=tuple(args.only or ()),
            compiled=args.compiled,
            json_path=Path(args.json) if args.json else None,
            keep=args.keep,
            rounds=args.rounds,
            calls=args.calls,
            instructions=args.instructions,
            unaudited=args.unaudited,
        )
    )
    return exit_code(result, strict=args.strict)


def exit_code(result: BenchResult, *, strict: bool) -> int:
    """1 when a correctness check failed (the figures would not mean what they say), or, with
    `strict`, when a measured target was missed; else 0."""
    missed = any(check.measured and not check.passed for check in result.checks)
    different = not all({**result.same_data, **result.same_sql, **result.paths}.values())
    return 1 if different or (strict and missed) else 0


def add_parser(commands: Any) -> None:
    """Registers `bench` on the `python -m hub` subcommands (an argparse subparsers object)."""
    bench = commands.add_parser(
        "bench",
        help="load the hub over loopback HTTP and compare it with the raw-driver floor R",
        description=(
            "Starts the hub (or, with --shape federated, the subgraphs and Hive Gateway) against the chosen "
            "database, seeds it if empty, drives it at each concurrency for a bounded time and prints requests/s, "
            "latency percentiles, SQL statements per request, server RSS and the ratio to the floor R. The hub's "
            "reads run twice, as plain text (the general path) and as APQ hashes (the compiled path)."
        ),
    )
    bench.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="sqlite (default): a scratch file in a temp dir; postgresql needs --database-url",
    )
    bench.add_argument(
        "--database-url", default=None, help="e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/bench (seeded if empty)"
    )
    bench.add_argument("--people", type=int, default=10_000, help="people to seed into an empty database")
    bench.add_argument("--seed", type=int, default=2026, help="the demo data's random seed")
    bench.add_argument(
        "--shape",
        choices=["hub", "federated"],
        default="hub",
        help="hub (one process) or federated (subgraphs + Hive Gateway; needs PostgreSQL)",
    )
    bench.add_argument(
        "--concurrency", type=_concurrency, default=(16,), help="concurrent requests, or a list: 4,32 (default 16)"
    )
    bench.add_argument("--duration", type=float, default=10.0, help="measured seconds per scenario (default 10)")
    bench.add_argument(
        "--rounds",
        type=_positive,
        default=1,
        help="run each level's scenarios this many times in turn; also prints the median ratios (default 1)",
    )
    bench.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each (default 1)")
    bench.add_argument("--workers", type=int, default=1, help="uvicorn workers of the hub and the floors")
    bench.add_argument("--max-requests", type=int, default=200_000, help="measured requests per scenario, at most")
    bench.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="load generator: raw asyncio HTTP/1.1 (default, cheapest) or httpx",
    )
    bench.add_argument(
        "--compiled",
        choices=["on", "off", "both"],
        default="both",
        help=(
            "the hub's reads on the compiled path (APQ hashes), the general path (plain text) or both, "
            "side by side against one hub process (default both; the hub shape only)"
        ),
    )
    bench.add_argument("--sample", type=int, default=1_000, help="distinct people the read scenarios rotate over")
    bench.add_argument(
        "--only", action="append", metavar="TEXT", help="run only scenarios whose name contains TEXT (repeatable)"
    )
    bench.add_argument("--json", default=None, metavar="PATH", help="also write every figure (and RSS over time)")
    bench.add_argument("--keep", action="store_true", help="keep the temp dir (SQLite file, server logs)")
    bench.add_argument(
        "--calls",
        type=int,
        default=0,
        metavar="N",
        help="also count Python calls per request (cProfile, in process, N requests a scenario): exact "
        "where times on a shared machine are not",
    )
    bench.add_argument(
        "--instructions",
        type=_positive,
        default=0,
        metavar="N",
        help="instead of the load, count each read's instructions a request under valgrind's callgrind "
        "(N requests a scenario, one at a time): the same count run to run, where requests/s wander",
    )
    bench.add_argument(
        "--unaudited",
        action="store_true",
        help="also send the compiled reads to a second hub that appends no audit record: what the audit costs, "
        "measured in the same run (a bench-only reference; the hub itself has no setting that skips the audit)",
    )
    bench.add_argument(
        "--strict", action="store_true", help="exit 1 when a measured target is missed (each is printed PASS or FAIL)"
    )
    bench.set_defaults(run=_run)
