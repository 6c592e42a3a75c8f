"""One bench run: seed, probe, start the servers, drive each scenario at each concurrency, report.

Every server is a separate process; this process is only the load generator (and, before the
load, the in-process probes). Scenarios run one at a time, each floor next to the hub figure it is
the floor of, so ratios compare figures measured minutes apart on the same machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import secrets
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import delete, select, text
from sqlalchemy.engine import make_url

from hub.bench import probe, report, scenarios
from hub.bench import servers as processes
from hub.bench.floor import compiled_sql, headline_queries
from hub.bench.load import run_load
from hub.bench.report import Row
from hub.bench.scenarios import HEADLINE, PEOPLE, Scenario
from hub.bench.servers import MemoryWatch, Server
from hub.db import Database
from hub.identity.models import PersonRow
from hub.registry import enabled_sectors, sector_named
from hub.seed import seed
from hub.settings import Settings
from hub.tokens import TokenSigner

Say = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    database: str = "sqlite"
    database_url: str | None = None
    people: int = 10_000
    seed: int = 2026
    duration: float = 10.0
    warmup: float = 1.0
    concurrency: tuple[int, ...] = (16,)
    workers: int = 1
    shape: str = "hub"
    max_requests: int = 200_000
    client: str = "raw"
    sample: int = 1_000
    only: tuple[str, ...] = ()  # substrings of scenario names to run (empty: all)
    json_path: Path | None = None
    keep: bool = False


@dataclass
class BenchResult:
    rows: list[Row]
    machine: str
    checks: list[report.Check]
    same_data: dict[str, bool]
    same_sql: dict[str, bool]
    text: str
    memory_over_time: dict[str, list[tuple[float, float]]] = field(default_factory=dict)


def run(options: Options, say: Say = print) -> BenchResult:
    """Runs the bench (uvloop for the client when installed) and prints its report."""
    try:
        import uvloop

        factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
    except ImportError:
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(bench(options, say))


def _database_url(options: Options, workdir: Path) -> str:
    if options.database_url:
        return options.database_url
    if options.database == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / 'rabt.db'}"
    raise SystemExit("--database postgresql needs --database-url postgresql+asyncpg://user@host/db")


async def _prepare(url: str, options: Options, say: Say) -> tuple[list[str], str]:
    """Seeds the database if it is empty; returns every person's ID (sorted) and the database's name."""
    db = Database(url)
    try:
        sectors = enabled_sectors(Settings.from_env().sectors)
        seeded = await seed(
            db, sectors, people=options.people, seed_value=options.seed, progress=lambda line: say(f"seed: {line}")
        )
        ids = [row[0] for row in await db.fetch(select(PersonRow.id).order_by(PersonRow.id))]
        if not seeded:
            say(f"seed: the database already holds {len(ids):,} people; using them")
        if db.is_sqlite:
            name = f"SQLite {sqlite3.sqlite_version} (file, WAL)"
        else:
            version = (await db.fetch(text("SHOW server_version")))[0][0]
            name = f"PostgreSQL {version.split()[0]} at {db.url.host}:{db.url.port or 5432}"
        return ids, name
    finally:
        await db.dispose()


async def _forget_bench_writes(url: str) -> int:
    """Deletes the incident reports the mutation scenario wrote (marked by their description)."""
    db = Database(url)
    try:
        reports = sector_named("civil_defence").metadata.tables["civil_defence_incident_reports"]
        async with db.connect() as connection:
            done = await connection.execute(delete(reports).where(reports.c.description == scenarios.BENCH_DESCRIPTION))
            return int(done.rowcount or 0)
    finally:
        await db.dispose()


async def _post(server: Server, call: scenarios.Call) -> probe.Answer:
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(
            f"http://127.0.0.1:{server.port}{call.path}",
            content=call.body,
            headers={"content-type": "application/json", **dict(call.headers)},
        )
        return probe.Answer(response.status_code, orjson.loads(response.content))


async def bench(options: Options, say: Say = print) -> BenchResult:
    if options.shape not in ("hub", "federated"):
        raise SystemExit("--shape is hub or federated")
    workdir = Path(tempfile.mkdtemp(prefix="rabt-bench-"))
    url = _database_url(options, workdir)
    backend = make_url(url).get_backend_name()
    if options.shape == "federated" and backend != "postgresql":
        raise SystemExit("--shape federated needs PostgreSQL (--database-url): the subgraphs are separate processes")
    token_secret, pepper = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
    env = {
        **os.environ,
        "RABT_DATABASE_URL": url,
        "RABT_DATA_DIR": str(workdir),
        "RABT_SEED_PEOPLE": "0",
        "RABT_SEED": str(options.seed),
        "RABT_TOKEN_SECRET": token_secret,
        "RABT_OTP_PEPPER": pepper,
    }
    settings = dataclasses.replace(Settings.from_env(env), seed_people=0)
    try:
        ids, database = await _prepare(url, options, say)
        signer = TokenSigner(token_secret)
        sample = scenarios.spread(ids, options.sample)
        label = "hub" if options.shape == "hub" else "gateway"
        every = scenarios.build(signer, sample, ids, label)
        chosen = [s for s in every if not options.only or any(part in s.name for part in options.only)]

        say("probe: one request per scenario, in process (SQL statements, same data, same SQL)")
        hub_calls = {s.shape: s.calls[0] for s in every if s.server == "hub"}
        floor_calls = {s.shape: s.calls[0] for s in every if s.server == "floor"}
        await _forget_bench_writes(url)  # an interrupted run may have left some
        # The floors first: the hub's calls end with the mutation, which writes a report for a sampled person.
        driver = await probe.ask_floor(url, "driver", floor_calls)
        core = await probe.ask_floor(url, "core", floor_calls)
        hub_answers = await probe.ask_hub(settings, token_secret, hub_calls)
        await _forget_bench_writes(url)
        same_data = {
            f"{mode} floor = hub, {shape}": probe.same_data(hub_answers[shape], answers[shape])
            for shape in (HEADLINE, PEOPLE)
            for mode, answers in (("driver", driver), ("core", core))
        }
        same_sql = _same_sql(url, hub_calls, hub_answers)
        answered = {"hub": hub_answers, "floor": driver, "floor-core": core}
        sql = {s.name: float(answered[s.server][s.shape].count) for s in chosen}
        for check, ok in {**same_data, **same_sql}.items():
            say(f"probe: {check}: {'yes' if ok else 'NO'}")

        servers: list[Server] = []
        with processes.stopping(servers):
            say(f"servers: starting the {options.shape} shape, the floor and the SQLAlchemy Core floor")
            logs = workdir / "logs"
            logs.mkdir()
            shape_servers = (
                processes.start_federated(env, logs)
                if options.shape == "federated"
                else [processes.start_hub(env, logs, options.workers)]
            )
            servers.extend(shape_servers)
            servers.append(processes.start_floor(env, logs, options.workers, "driver"))
            servers.append(processes.start_floor(env, logs, options.workers, "core"))
            by_role = {"hub": shape_servers, "floor": [servers[-2]], "floor-core": [servers[-1]]}
            front = {"hub": shape_servers[-1], "floor": servers[-2], "floor-core": servers[-1]}

            # The served shape must answer as the floor does (the gateway too: values, not bytes).
            for shape in (HEADLINE, PEOPLE):
                hub_answer = await _post(front["hub"], hub_calls[shape])
                served = probe.same_data(hub_answer, await _post(front["floor"], floor_calls[shape]))
                same_data[f"served {label} = floor, {shape}"] = served
                say(f"probe: served {label} = floor, {shape}: {'yes' if served else 'NO'}")
            if options.shape == "federated":
                for s in chosen:
                    if s.server == "hub":
                        before = processes.subgraph_statements(shape_servers)
                        await _post(front["hub"], s.calls[0])
                        sql[s.name] = float(processes.subgraph_statements(shape_servers) - before)
            await _forget_bench_writes(url)

            rows: list[Row] = []
            over_time: dict[str, list[tuple[float, float]]] = {}
            for concurrency in options.concurrency:
                for s in chosen:
                    row, samples = await _measure(s, concurrency, front[s.server], by_role[s.server], sql, options)
                    rows.append(row)
                    over_time[f"{s.name} @ {concurrency}"] = samples
                    say(
                        f"  {s.name} @ {concurrency}: {row.rps:,.1f} rps, p50 {row.p50_ms:.2f} ms, "
                        f"RSS {row.rss_peak_mb:.0f} MB" + (f", {row.failures} failed" if row.failures else "")
                    )
                    if s.shape == scenarios.MUTATION:
                        await _forget_bench_writes(url)
                    await asyncio.sleep(0.5)  # let the machine settle between scenarios

        report.add_ratios(rows)
        client_cpu = [row.client_cpu_us for row in rows if row.requests]
        header = report.machine(database)
        settings_line = (
            f"shape {options.shape}, workers {options.workers}, {len(ids):,} people, "
            f"{options.duration:g} s per scenario after {options.warmup:g} s warm-up, "
            f"client {options.client} (median {sorted(client_cpu)[len(client_cpu) // 2]:.0f} µs CPU "
            "per request)"
            if client_cpu
            else ""
        )
        found = report.checks(rows)
        parts = [
            header,
            settings_line,
            "",
            report.table(rows),
            "",
            *(f"{name}: {'yes' if ok else 'NO'}" for name, ok in {**same_data, **same_sql}.items()),
            "",
            *map(str, found),
        ]
        breakdown = report.processes(rows)
        if breakdown:
            parts += ["", breakdown]
        result = BenchResult(rows, header, found, same_data, same_sql, "\n".join(parts), over_time)
        say("")
        say(result.text)
        if options.json_path is not None:
            options.json_path.write_bytes(orjson.dumps(_as_json(result, options), option=orjson.OPT_INDENT_2))
        return result
    finally:
        with contextlib.suppress(Exception):
            await _forget_bench_writes(url)
        if not options.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            say(f"kept {workdir}")


def _same_sql(url: str, calls: dict[str, scenarios.Call], answers: dict[str, probe.Answer]) -> dict[str, bool]:
    """The floor's statements are the loaders' statements, text for text (expanding IN rendered)."""
    dialect = Database(url).engine.dialect  # only for its dialect; it never connects
    found = {}
    for shape in (HEADLINE, PEOPLE):
        variables = orjson.loads(calls[shape].body)["variables"]
        keys = len(set(variables["ids"])) if "ids" in variables else 1
        floor = sorted(compiled_sql(query, dialect, keys) for query in headline_queries())
        found[f"floor SQL = loaders' SQL, {shape}"] = probe.loader_selects(answers[shape].statements) == floor
    return found


async def _measure(
    s: Scenario, concurrency: int, front: Server, watched: Sequence[Server], sql: dict[str, float], options: Options
) -> tuple[Row, list[tuple[float, float]]]:
    async with MemoryWatch(watched) as memory:
        result = await run_load(
            "127.0.0.1",
            front.port,
            s.calls,
            concurrency=concurrency,
            duration=options.duration,
            warmup=options.warmup,
            max_requests=options.max_requests,
            ok_marker=s.ok_marker,
            client=options.client,
        )
    row = Row(
        scenario=s.name,
        shape=s.shape,
        server=s.server,
        concurrency=concurrency,
        rps=result.rps,
        p50_ms=result.percentile_ms(50),
        p95_ms=result.percentile_ms(95),
        p99_ms=result.percentile_ms(99),
        sql_per_request=sql.get(s.name),
        rss_start_mb=memory.start_mb,
        rss_peak_mb=memory.peak_mb,
        rss_end_mb=memory.end_mb,
        rss_settled_mb=memory.settled_mb,
        requests=result.requests,
        failures=result.errors + result.refused,
        client_cpu_us=result.cpu_per_request_us,
        peak_by_process=memory.peak_by_process,
    )
    return row, memory.samples


def _as_json(result: BenchResult, options: Options) -> dict[str, Any]:
    return {
        "machine": result.machine,
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(options).items()},
        "rows": [dataclasses.asdict(row) for row in result.rows],
        "checks": [dataclasses.asdict(check) for check in result.checks],
        "same_data": result.same_data,
        "same_sql": result.same_sql,
        "memory_over_time": result.memory_over_time,
    }
