"""One bench run: seed, probe, start the servers, drive each scenario at each concurrency, report.

Every server is a separate process; this process is only the load generator (and, before the
load, the in-process probes). Scenarios run one at a time, each floor next to the hub figures it is
the floor of, so ratios compare figures measured minutes apart on the same machine.

The general and the compiled rows are measured against the same hub process (RABT_COMPILED=1):
plain query text takes the general path until the hub has seen it RABT_PLAN_TEXT_AFTER times (the
probe's one request), then its plan; an APQ hash the compiled path at once. Which path answered is
checked, in the probe and, with one worker, on the served hub from its own counters around every
measured scenario.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import secrets
import shutil
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import delete, select, text
from sqlalchemy.engine import make_url

from bench import instructions, probe, report, scenarios
from bench import servers as processes
from bench.floor import compiled_sql, headline_queries
from bench.load import run_load
from bench.report import Row
from bench.scenarios import COMPILED, GENERAL, HEADLINE, HUBS, MUTATION, PEOPLE, UNAUDITED, Scenario
from bench.servers import MemoryWatch, Server
from hub.access.keys import SigningKey, jwks
from hub.access.tokens import TokenIssuer
from hub.data.asyncpg_pool import LOOPBACK_HOSTS
from hub.data.db import Database
from hub.identity.models import PersonRow
from hub.migrations import components, upgrade
from hub.registry import enabled_sectors, sector_named
from hub.seed import seed
from hub.settings import Settings

Say = Callable[[str], None]
LOCAL_HOSTS = (None, *LOOPBACK_HOSTS)  # no host: a Unix socket
_SERVED_AS = {"hub": "compiled", UNAUDITED: "unaudited reference"}  # the compiled rows' served checks


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
    compiled: str = "both"  # the hub's reads on the general path ("off"), the compiled path ("on") or both
    json_path: Path | None = None
    keep: bool = False
    rounds: int = 1  # each concurrency level's scenarios run this many times in turn
    calls: int = 0  # count Python calls per request over this many in-process requests (0: don't)
    instructions: int = 0  # instead of the load: count instructions per request under callgrind (0: don't)
    unaudited: bool = False  # also the compiled reads on the reference hub that appends no audit record


@dataclass
class BenchResult:
    rows: list[Row]
    machine: str
    checks: list[report.Check]
    same_data: dict[str, bool]
    same_sql: dict[str, bool]
    text: str
    memory_over_time: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    paths: dict[str, bool] = field(default_factory=dict)  # each row took the path it is named after
    calls: dict[str, float] = field(default_factory=dict)  # Python calls per request (--calls)
    instructions: dict[str, float] = field(default_factory=dict)  # instructions per request (--instructions)


def run(options: Options, say: Say = print) -> BenchResult:
    """Runs the bench (uvloop for the client when installed) and prints its report."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per probe request
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
    """Migrates the database to head and seeds it if it is empty; returns every person's ID
    (sorted) and the database's name."""
    db = Database(url)
    try:
        sectors = enabled_sectors(Settings.from_env().sectors)
        await upgrade(url, components(sectors), progress=lambda line: say(f"migrate: {line}"))
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
        return probe.Answer(response.status_code, orjson.loads(response.content), raw=response.content)


def _wanted(s: Scenario, options: Options) -> bool:
    if options.only and not any(part in s.name for part in options.only):
        return False
    if s.path == COMPILED:
        return options.compiled in ("on", "both")
    if s.path == GENERAL and s.shape != MUTATION:
        return options.compiled in ("off", "both")
    return True


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


async def bench(options: Options, say: Say = print) -> BenchResult:
    if options.shape not in ("hub", "federated"):
        raise SystemExit("--shape is hub or federated")
    if options.compiled not in ("on", "off", "both"):
        raise SystemExit("--compiled is on, off or both")
    workdir = Path(tempfile.mkdtemp(prefix="rabt-bench-"))
    url = _database_url(options, workdir)
    backend = make_url(url).get_backend_name()
    if options.shape == "federated" and backend != "postgresql":
        raise SystemExit("--shape federated needs PostgreSQL (--database-url): the subgraphs are separate processes")
    key, pepper = SigningKey.generate(), secrets.token_urlsafe(48)
    env = {
        **os.environ,
        "RABT_DATABASE_URL": url,
        "RABT_DATA_DIR": str(workdir),
        "RABT_SEED_PEOPLE": "0",
        "RABT_SEED": str(options.seed),
        "RABT_TOKEN_PRIVATE_KEY": key.to_pem(),
        "RABT_TOKEN_PUBLIC_KEYS": orjson.dumps(jwks([key.public])).decode(),
        "RABT_GATEWAY_HMAC_SECRET": secrets.token_urlsafe(48),
        "RABT_OTP_PEPPER": pepper,
        # One hub answers both kinds of row: plain text takes the general path, an APQ hash the
        # compiled path. Trusted-documents mode would send every request to the compiled path.
        "RABT_COMPILED": "1",
        "RABT_TRUSTED_DOCUMENTS": "0",
    }
    settings = Settings.from_env(env).model_copy(update=dict(seed_people=0))
    # The probe's in-process hub reads its signing key from this process's environment (production
    # mode, as on PostgreSQL, generates none).
    os.environ["RABT_TOKEN_PRIVATE_KEY"] = env["RABT_TOKEN_PRIVATE_KEY"]
    try:
        ids, database = await _prepare(url, options, say)
        signer = TokenIssuer(key)
        sample = scenarios.spread(ids, options.sample)
        label = "hub" if options.shape == "hub" else "gateway"
        every = scenarios.build(signer, sample, ids, label, unaudited=options.unaudited and options.shape == "hub")
        chosen = [s for s in every if _wanted(s, options)]
        if options.shape == "federated" and options.compiled != "both":
            say("note: --compiled applies to the hub shape; behind the gateway every read is plain text")
        if options.instructions:
            return await _instructions(chosen, env, every, database, options, say)
        general = {s.shape: s for s in every if s.server == "hub" and s.path != COMPILED and s.shape != MUTATION}
        fast = {s.shape: s for s in every if s.path == COMPILED and s.server == "hub"}
        # The reference rows ask the compiled rows' calls: in process, the compiled rows' answers stand for theirs.
        probed_as = {s.name: fast[s.shape].name if s.server == UNAUDITED else s.name for s in every}

        say("probe: one request per scenario, in process (SQL statements, path taken, same data, same SQL)")
        hub_calls = {s.name: s.calls[0] for s in every if s.server == "hub"}  # the mutation last
        floor_calls = {s.shape: s.calls[0] for s in every if s.server == "floor"}
        await _forget_bench_writes(url)  # an interrupted run may have left some
        # The floors first: the hub's calls end with the mutation, which writes a report for a sampled person.
        if options.calls:
            say(f"probe: counting Python calls over {options.calls} requests a scenario, one at a time (cProfile)")
        driver = await probe.ask_floor(url, "driver", floor_calls, options.calls)
        core = await probe.ask_floor(url, "core", floor_calls, options.calls)
        setup = [call for s in every for call in s.setup]
        counted = [s.name for s in chosen if s.server == "hub" and s.shape != MUTATION]
        hub_answers = await probe.ask_hub(settings, key, hub_calls, setup, counted, options.calls)
        await _forget_bench_writes(url)
        same_data = {
            f"{mode} floor = hub, {shape}": probe.same_data(hub_answers[general[shape].name], answers[shape])
            for shape in (HEADLINE, PEOPLE)
            for mode, answers in (("driver", driver), ("core", core))
        }
        for shape, s in fast.items():
            plain, hashed = hub_answers[general[shape].name], hub_answers[s.name]
            same_data[f"compiled = general, {shape}"] = probe.same_data(plain, hashed) and plain.body == hashed.body
        same_sql = _same_sql(url, {shape: (s.name, s.calls[0]) for shape, s in general.items()}, hub_answers)
        same_sql |= _same_sql(
            url,
            {f"compiled, {shape}": (s.name, s.calls[0]) for shape, s in fast.items()},
            hub_answers,
        )
        paths: dict[str, bool] = {}
        for s in every:
            if s.path is not None:
                taken = hub_answers[probed_as[s.name]].path
                paths[f"probe: {s.name} took the {s.path} path"] = taken == s.path
                if taken != s.path:
                    say(f"probe: {s.name} was answered by the {taken!r} path")
        answered = {"hub": hub_answers, "floor": driver, "floor-core": core}
        probed = {
            s.name: hub_answers[probed_as[s.name]] if s.server in HUBS else answered[s.server][s.shape] for s in chosen
        }
        sql = {name: float(answer.count) for name, answer in probed.items()}
        for s in chosen:
            if s.server == UNAUDITED:  # what the compiled row sends but its audit append
                sql[s.name] = float(len(probe.loader_selects(probed[s.name].statements)))
        calls = {name: answer.calls for name, answer in probed.items() if answer.calls is not None}
        for check, ok in {**same_data, **same_sql, **paths}.items():
            say(f"{'' if check.startswith('probe: ') else 'probe: '}{check}: {_yes(ok)}")

        servers: list[Server] = []
        with processes.stopping(servers):
            say(f"servers: starting the {options.shape} shape, the floor and the SQLAlchemy Core floor")
            logs = workdir / "logs"
            logs.mkdir()
            hub_env = env
            documents = scenarios.persisted_documents([s for s in chosen if s.path == COMPILED])
            if documents and options.workers > 1:  # each uvicorn worker has its own APQ store
                (workdir / "persisted.json").write_bytes(orjson.dumps(documents))
                hub_env = {**env, "RABT_BENCH_PERSISTED": str(workdir / "persisted.json")}
            shape_servers = (
                processes.start_federated(env, logs)
                if options.shape == "federated"
                else [processes.start_hub(hub_env, logs, options.workers)]
            )
            servers.extend(shape_servers)
            servers.append(processes.start_floor(env, logs, options.workers, "driver"))
            servers.append(processes.start_floor(env, logs, options.workers, "core"))
            by_role = {"hub": shape_servers, "floor": [servers[-2]], "floor-core": [servers[-1]]}
            front = {"hub": shape_servers[-1], "floor": servers[-2], "floor-core": servers[-1]}
            if any(s.server == UNAUDITED for s in chosen):
                say("servers: starting the reference hub that appends no audit record (--unaudited)")
                servers.append(processes.start_hub(hub_env, logs, options.workers, unaudited=True))
                by_role[UNAUDITED], front[UNAUDITED] = [servers[-1]], servers[-1]

            # Apollo's protocol: the document and its hash once, then the hash alone.
            for s in chosen:
                for call in s.setup:
                    registered = await _post(front[s.server], call)
                    if registered.status != 200 or "errors" in registered.body:
                        raise RuntimeError(f"{s.name}: the APQ registration was refused: {registered.raw[:500]!r}")
            # The served shape must answer as the floor does (the gateway too: values, not bytes),
            # and the compiled path byte for byte as the general path.
            for shape in (HEADLINE, PEOPLE):
                hub_answer = await _post(front["hub"], general[shape].calls[0])
                served = probe.same_data(hub_answer, await _post(front["floor"], floor_calls[shape]))
                same_data[f"served {label} = floor, {shape}"] = served
                say(f"probe: served {label} = floor, {shape}: {_yes(served)}")
                # The compiled rows, on the hub and on the unaudited reference (registered only when chosen).
                for s in chosen:
                    if s.path == COMPILED and s.shape == shape:
                        hashed = await _post(front[s.server], s.calls[0])
                        same = hashed.status == 200 and hashed.raw == hub_answer.raw
                        check = f"served {_SERVED_AS[s.server]} = general, {shape} (bytes)"
                        same_data[check] = same
                        say(f"probe: {check}: {_yes(same)}")
            if options.shape == "federated":
                for s in chosen:
                    if s.server == "hub":
                        before = processes.subgraph_statements(shape_servers)
                        await _post(front["hub"], s.calls[0])
                        sql[s.name] = float(processes.subgraph_statements(shape_servers) - before)
            await _forget_bench_writes(url)
            watch_paths = options.shape == "hub" and options.workers == 1
            if options.shape == "hub" and not watch_paths:
                say("note: with --workers > 1 the served hub's path counters are per worker: not checked")

            rows: list[Row] = []
            over_time: dict[str, list[tuple[float, float]]] = {}
            levels = [(c, n) for c in options.concurrency for n in range(1, options.rounds + 1)]
            for concurrency, round_ in levels:
                for s in chosen:
                    for call in s.setup:  # cheap, and a scenario never depends on an earlier one
                        await _post(front[s.server], call)
                    watched = watch_paths and s.path is not None
                    before = processes.compiled_counters(front[s.server]) if watched else None
                    row, samples = await _measure(
                        s, concurrency, front[s.server], by_role[s.server], sql, options, _database_cpu(url)
                    )
                    if before is not None:
                        await asyncio.sleep(0.3)  # requests the client gave up at the deadline finish
                        after = processes.compiled_counters(front[s.server])
                        ok, detail = _served_path(s, row, before, after, hub_answers[probed_as[s.name]])
                        paths[f"served: {s.name} @ {concurrency} took the {s.path} path"] = ok
                        if not ok:
                            say(f"  {s.name} @ {concurrency}: {detail}")
                        served_requests = after["requests"] - before["requests"]
                        if served_requests > 0:
                            row.sql_under_load = (after["statements"] - before["statements"]) / served_requests
                    row.round = round_
                    rows.append(row)
                    over_time[f"{s.name} @ {concurrency}" + (f" #{round_}" if options.rounds > 1 else "")] = samples
                    say(
                        f"  {s.name} @ {concurrency}: {row.rps:,.1f} rps, p50 {row.p50_ms:.2f} ms, "
                        f"RSS {row.rss_peak_mb:.0f} MB" + (f", {row.failures} failed" if row.failures else "")
                    )
                    if s.shape == scenarios.MUTATION:
                        await _forget_bench_writes(url)
                    await asyncio.sleep(0.5)  # let the machine settle between scenarios
            # The gateway sends plain text: which path answered each subgraph's requests.
            subgraph_paths = processes.subgraph_paths(shape_servers) if options.shape == "federated" else {}

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
            *([report.medians(rows), ""] if options.rounds > 1 else []),
            *([_calls_table(calls), ""] if calls else []),
            *(f"{name}: {_yes(ok)}" for name, ok in {**same_data, **same_sql}.items()),
            *_path_lines(paths),
            "",
            *map(str, found),
        ]
        for breakdown in (report.subgraph_shares(rows), report.processes(rows)):
            if breakdown:
                parts += ["", breakdown]
        parts += [f"{name}: {counters}" for name, counters in subgraph_paths.items()]
        result = BenchResult(rows, header, found, same_data, same_sql, "\n".join(parts), over_time, paths, calls)
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


def _same_sql(
    url: str, calls: dict[str, tuple[str, scenarios.Call]], answers: dict[str, probe.Answer]
) -> dict[str, bool]:
    """The floor's statements are the loaders' statements, text for text (expanding IN rendered).
    `calls`: check label -> (the answer's name, the call it answered)."""
    dialect = Database(url).engine.dialect  # only for its dialect; it never connects
    found = {}
    for label, (name, call) in calls.items():
        variables = orjson.loads(call.body)["variables"]
        keys = len(set(variables["ids"])) if "ids" in variables else 1
        floor = sorted(compiled_sql(query, dialect, keys) for query in headline_queries())
        answer = answers.get(name)
        found[f"floor SQL = loaders' SQL, {label}"] = (
            answer is not None and probe.loader_selects(answer.statements) == floor
        )
    return found


def _served_path(
    s: Scenario, row: Row, before: dict[str, Any], after: dict[str, Any], probed: probe.Answer
) -> tuple[bool, str]:
    """Did the served hub answer a scenario's requests on the path the row is named after? From
    its compiled path's counters read before and after the scenario (warm-up included)."""
    if not after.get("enabled"):
        return False, "the served hub has no compiled path (RABT_COMPILED=0?)"
    grown = Counter(after["stats"]) - Counter(before["stats"])
    answered = grown.pop("compiled", 0)
    fallbacks = dict(grown)
    if s.shape == MUTATION:  # offered a plan once seen often enough, and stepping aside: a mutation
        return answered == 0 and set(fallbacks) <= {"fallback: operation: mutation"}, (
            f"{answered} compiled answers, fallbacks {fallbacks}"
        )
    # The reads' plain text was seen by the probes and the warm-up: every measured one is planned.
    driver = after["driver_statements"] - before["driver_statements"]
    expected = len(probe.loader_selects(probed.statements))
    # Plain text's first sightings, on the general path, send the same loaders' statements too.
    sent = driver >= expected * answered if s.path == GENERAL else driver == expected * answered
    ok = not fallbacks and answered >= row.requests > 0 and sent
    return ok, (
        f"{answered} compiled answers for {row.requests} measured requests, fallbacks {fallbacks}, "
        f"{driver} driver statements (expected {expected} each)"
    )


def _path_lines(paths: dict[str, bool]) -> list[str]:
    """The path checks, the served ones folded into one line per path."""
    lines = [f"{name.removeprefix('probe: ')}: {_yes(ok)}" for name, ok in paths.items() if name.startswith("probe: ")]
    for path, answered in (
        (GENERAL, "by their plans (plain text seen before), a mutation by the general path"),
        (COMPILED, "on the compiled path"),
    ):
        served = {name: ok for name, ok in paths.items() if name.startswith("served: ") and f"the {path} path" in name}
        if served:
            missed = [name.removeprefix("served: ") for name, ok in served.items() if not ok]
            verdict = "yes" if not missed else "NO: " + "; ".join(missed)
            lines.append(
                f"served hub, {path} rows answered {answered} "
                f"({len(served)} scenario runs, the hub's own counters): {verdict}"
            )
    return lines


def _database_cpu(url: str) -> Callable[[], float] | None:
    """A meter of the database server's CPU seconds, when it is a PostgreSQL on this machine (SQLite
    works inside the server process: its CPU is the server's)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or parsed.host not in LOCAL_HOSTS:
        return None
    # Listed again at every read: a pool opens backends while the scenario runs. A backend that exits
    # inside the measured window loses what it used in it; rare, as the pools keep their connections.
    return processes.ChangingProcessesCpu(processes.postgres_pids)


async def _measure(
    s: Scenario,
    concurrency: int,
    front: Server,
    watched: Sequence[Server],
    sql: dict[str, float],
    options: Options,
    database_cpu: Callable[[], float] | None,
) -> tuple[Row, list[tuple[float, float]]]:
    pids = [pid for server in watched for pid in server.pids()]  # uvicorn's workers too
    meters = {"server": lambda: processes.cpu_seconds(pids)}
    subgraph_pids = [pid for server in watched if server.name.startswith("subgraph ") for pid in server.pids()]
    if subgraph_pids:
        meters["subgraphs"] = lambda: processes.cpu_seconds(subgraph_pids)
    if database_cpu is not None:
        meters["database"] = database_cpu
    async with MemoryWatch(watched, expected=options.warmup + options.duration) as memory:
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
            meters=meters,
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
        server_cpu_us=result.metered_per_request_us("server"),
        db_cpu_us=result.metered_per_request_us("database"),
        subgraphs_cpu_us=result.metered_per_request_us("subgraphs"),
        peak_by_process=memory.peak_by_process,
        settled_by_process=memory.settled_by_process,
        end_by_process=memory.end_by_process,
    )
    return row, memory.samples


async def _instructions(
    chosen: Sequence[Scenario],
    env: Mapping[str, str],
    every: Sequence[Scenario],
    database: str,
    options: Options,
    say: Say,
) -> BenchResult:
    """`--instructions N`: each read's instructions a request under callgrind, instead of the load."""
    reads = [s for s in chosen if s.shape != MUTATION]
    say(f"instructions: {len(reads)} scenarios, {options.instructions} requests each, under callgrind (slow)")
    setup = [call for s in every for call in s.setup]
    counted = await asyncio.to_thread(instructions.count, reads, env, setup, options.instructions, say)
    header = report.machine(database)
    text = "\n".join([header, "", instructions.table(counted)])
    result = BenchResult([], header, [], {}, {}, text, instructions={c.scenario: c.instructions for c in counted})
    say("")
    say(result.text)
    if options.json_path is not None:
        options.json_path.write_bytes(orjson.dumps({"machine": header, "instructions": result.instructions}))
    return result


def _calls_table(calls: Mapping[str, float]) -> str:
    title = "Python calls per request (in process, one at a time)"
    width = max(len(title), *(len(name) for name in calls))
    lines = [f"{title:{width}}  {'calls':>9}", "-" * (width + 11)]
    lines += [f"{name:{width}}  {count:9,.0f}" for name, count in calls.items()]
    return "\n".join(lines)


def _as_json(result: BenchResult, options: Options) -> dict[str, Any]:
    return {
        "machine": result.machine,
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(options).items()},
        "rows": [dataclasses.asdict(row) for row in result.rows],
        "checks": [dataclasses.asdict(check) for check in result.checks],
        "same_data": result.same_data,
        "same_sql": result.same_sql,
        "paths": result.paths,
        "memory_over_time": result.memory_over_time,
        "calls": result.calls,
    }
