"""The servers under test, each a separate process on a free loopback port, and their memory.

The hub and the floor run under uvicorn's command line with an app factory from this package
(`--factory`, so `--workers N` works), access logs off, keep-alive 75 s as `python -m hub serve`
uses. The federated shape is the identity subgraph and one subgraph per sector (uvicorn, the same
apps `python -m hub subgraph` serves) composed by @apollo/composition and served by Hive Gateway,
started the way tests/federation/test_gateway.py starts them.

Memory: RSS from /proc/<pid>/status. Before each scenario every server process's peak (VmHWM) is
reset by writing 5 to /proc/<pid>/clear_refs, so VmHWM read after it is that scenario's peak; the
RSS is also sampled twice a second, for the record of memory over time.

CPU: user + system time from /proc/<pid>/stat (every thread of a process), for the server
processes and, on a PostgreSQL on this machine, for the database's processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.scenarios import UNAUDITED
from hub.audit.entries import AuditBatch
from hub.audit.writer import AuditWriter
from hub.contract.principal import Principal

ROOT = Path(__file__).resolve().parents[1]
GRACE = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---- processes ------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def pids(self) -> list[int]:
        """The server process and its descendants (uvicorn's workers), without helpers such as
        multiprocessing's resource tracker."""
        found = [self.process.pid, *_descendants(self.process.pid)]
        return [pid for pid in found if b"resource_tracker" not in _cmdline(pid)]

    def stop(self) -> None:
        """SIGTERM to the process group; SIGKILL after a grace period (Hive Gateway has been seen
        to ignore SIGTERM)."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=GRACE)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=GRACE)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _pids() -> Iterator[int]:
    """Every process on this machine, by /proc."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            yield int(entry.name)


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat from field 3 on (field 2, the name in parentheses, may hold anything);
    None once the process has exited."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for pid in _pids():
        fields = _stat(pid)
        if fields is not None:
            parents.setdefault(int(fields[1]), []).append(pid)
    found, todo = [], [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return sorted(found)


def start(
    name: str, command: Sequence[str], env: Mapping[str, str], ready_url: str, log: Path, timeout: float = 120.0
) -> Server:
    """Starts a server in its own session and waits until `ready_url` answers below 500."""
    port = int(ready_url.split(":")[2].split("/")[0])
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(command), cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(name, port, process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(ready_url, timeout=1).status_code < 500:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise TimeoutError(f"{name} did not answer at {ready_url} in {timeout:.0f}s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def stopping(servers: list[Server]) -> Iterator[list[Server]]:
    try:
        yield servers
    finally:
        for server in reversed(servers):
            server.stop()


def uvicorn_command(factory: str, port: int, workers: int = 1) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--timeout-keep-alive",
        "75",
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def start_hub(env: Mapping[str, str], logs: Path, workers: int, *, unaudited: bool = False) -> Server:
    """The hub (`hub_app`), or with `unaudited` the bench's reference hub that appends no audit
    record (`unaudited_hub_app`)."""
    port = free_port()
    name = UNAUDITED if unaudited else "hub"
    return start(
        name,
        uvicorn_command(f"bench.servers:{'unaudited_hub_app' if unaudited else 'hub_app'}", port, workers),
        env,
        f"http://127.0.0.1:{port}/healthz",
        logs / f"{name}.log",
    )


def start_floor(env: Mapping[str, str], logs: Path, workers: int, mode: str) -> Server:
    port = free_port()
    name = "floor" if mode == "driver" else "floor-core"
    return start(
        name,
        uvicorn_command("bench.floor:floor_app", port, workers),
        {**env, "RABT_BENCH_FLOOR": mode},
        f"http://127.0.0.1:{port}/healthz",
        logs / f"{name}.log",
    )


def start_federated(env: Mapping[str, str], logs: Path) -> list[Server]:
    """The subgraphs (identity, then each enabled sector) and Hive Gateway over their composition;
    the gateway is the last server of the list."""
    from hub.api.federation import Subgraph, compose, gateway_command, node_available, subgraph_sdl
    from hub.registry import enabled_sectors
    from hub.settings import Settings

    if not node_available():
        raise RuntimeError("the federated shape needs Node.js and federation/node_modules (./dev test installs them)")
    sectors = enabled_sectors(Settings.from_env(dict(env)).sectors)
    graphs = [Subgraph("identity", free_port())] + [Subgraph(sector.name, free_port()) for sector in sectors]
    supergraph = logs / "supergraph.graphql"
    supergraph.write_text(compose([(graph, subgraph_sdl(sectors, graph.name)) for graph in graphs]))
    # Where each subgraph asks another sector's rules (hub.web.peer_checks): on these ports.
    peers = {f"RABT_{graph.name.upper()}_SUBGRAPH_URL": f"http://127.0.0.1:{graph.port}" for graph in graphs[1:]}
    servers: list[Server] = []
    try:
        for graph in graphs:
            servers.append(
                start(
                    f"subgraph {graph.name}",
                    uvicorn_command("bench.servers:subgraph_app", graph.port),
                    {**env, **peers, "RABT_BENCH_SUBGRAPH": graph.name},
                    f"http://127.0.0.1:{graph.port}/healthz",
                    logs / f"subgraph-{graph.name}.log",
                )
            )
        port = free_port()
        gateway_env = {k: v for k, v in env.items() if k not in ("HOST", "PORT", "CONFIG_PATH", "POLLING")}
        gateway_env.update(RABT_SUPERGRAPH=str(supergraph), RABT_GATEWAY_PORT=str(port), RABT_GATEWAY_LOG_LEVEL="warn")
        servers.append(
            start("gateway", gateway_command(), gateway_env, f"http://127.0.0.1:{port}/readiness", logs / "gateway.log")
        )
    except BaseException:
        for server in reversed(servers):
            server.stop()
        raise
    return servers


def subgraph_paths(servers: Sequence[Server]) -> dict[str, dict[str, int]]:
    """Each subgraph's compiled-path counters ("compiled", "fallback: …") since it started."""
    return {
        server.name: httpx.get(f"http://127.0.0.1:{server.port}/__bench/sql", timeout=5).json()["stats"]
        for server in servers
        if server.name.startswith("subgraph ")
    }


def subgraph_statements(servers: Sequence[Server]) -> int:
    """The statements every subgraph has sent so far (their `/__bench/sql` counters)."""
    total = 0
    for server in servers:
        if server.name.startswith("subgraph "):
            total += httpx.get(f"http://127.0.0.1:{server.port}/__bench/sql", timeout=5).json()["statements"]
    return total


# ---- app factories (uvicorn --factory) ----------------------------------------------------------------


def _bench_route(app: Any, path: str, report: Any) -> Any:
    """`app` with GET `path` answering `report()` as JSON (the bench's counters), all else passed on."""

    async def routed(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == path:
            body = orjson.dumps(report())
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return routed


def _register(endpoint: Any, documents: Sequence[str]) -> None:
    """Registers APQ documents in this worker's store, as a registration request would."""
    import asyncio
    import concurrent.futures
    import hashlib

    async def register() -> None:
        for document in documents:
            digest = hashlib.sha256(document.encode()).hexdigest()
            await endpoint.persisted.resolve(document, {"persistedQuery": {"version": 1, "sha256Hash": digest}})

    with concurrent.futures.ThreadPoolExecutor(1) as thread:  # uvicorn may call the factory inside its loop
        thread.submit(asyncio.run, register()).result()


class UnwrittenAudit(AuditWriter):
    """The reference hub's audit (`unaudited_hub_app`): takes each request's batch and writes
    nothing. The bench measures against it what the audit append costs a request; the hub itself
    has no setting that skips the audit, and nothing outside this module builds one of these."""

    async def write(self, batch: AuditBatch, principal: Principal, request_id: str, operation: str | None) -> int:
        return len(batch.entries)


def unaudited(app: Any) -> Any:
    """A hub app (from `create_app`) whose endpoint appends no audit record: the bench's reference."""
    from bench.probe import endpoint_of

    endpoint = endpoint_of(app)
    endpoint.audit = UnwrittenAudit(endpoint.db)
    return app


def unaudited_hub_app() -> Any:
    """`hub_app` with `UnwrittenAudit`: the same answers, the same statements but the audit's."""
    return _hub_app(audited=False)


def hub_app() -> Any:
    """The all-in-one hub exactly as `python -m hub serve` builds it, from the environment, plus
    GET /__bench/compiled, this worker's counters since it started:
    - `stats`: which path answered (the compiled path's own `stats`: "compiled", "fallback: …");
    - `statements`: every SQL statement sent (`Database.on_statement`: through SQLAlchemy or straight
      through the driver), of which `driver_statements` the loaders' through the driver;
    - `requests`: POST /graphql requests answered.

    With RABT_BENCH_PERSISTED (a JSON list of documents) each worker registers them at start: every
    uvicorn worker has its own APQ store, and the bench's one registration reaches one worker."""
    return _hub_app(audited=True)


def _hub_app(*, audited: bool) -> Any:
    from bench.probe import endpoint_of
    from hub.settings import Settings
    from hub.web.app import create_app
    from hub.web.hub import Hub

    settings = Settings.from_env()
    hub = Hub.build(settings)
    app = create_app(settings, hub)
    if not audited:
        unaudited(app)
    endpoint = endpoint_of(app)
    documents = os.environ.get("RABT_BENCH_PERSISTED")
    if documents:
        _register(endpoint, orjson.loads(Path(documents).read_bytes()))
    compiled = endpoint.compiled
    seen, requests = [0], [0]

    def count(*_: Any) -> None:
        seen[0] += 1

    hub.db.on_statement(count)

    def report() -> dict[str, Any]:
        driver = compiled.rows.statements if compiled is not None else 0
        return {
            "enabled": compiled is not None,
            "pid": os.getpid(),
            "stats": dict(compiled.stats) if compiled is not None else {},
            "driver_statements": driver,
            "statements": seen[0],  # what the driver path and the audit send through asyncpg included
            "requests": requests[0],
        }

    routed = _bench_route(app, "/__bench/compiled", report)

    async def counted(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/graphql":
            requests[0] += 1
        await routed(scope, receive, send)

    return counted


def compiled_counters(server: Server) -> dict[str, Any]:
    """The hub's GET /__bench/compiled (see `hub_app`)."""
    return httpx.get(f"http://127.0.0.1:{server.port}/__bench/compiled", timeout=5).json()  # type: ignore[no-any-return]


def subgraph_app() -> Any:
    """One subgraph (RABT_BENCH_SUBGRAPH) as `python -m hub subgraph` builds it, plus at GET
    /__bench/sql a counter of the SQL statements it sends (one `Database.on_statement` call per
    statement, those sent straight through asyncpg included) and its compiled path's `stats`."""

    from bench.probe import endpoint_of
    from hub.settings import Settings
    from hub.web.app import create_app
    from hub.web.hub import Hub

    settings = Settings.from_env()
    hub = Hub.build(settings, subgraph=os.environ["RABT_BENCH_SUBGRAPH"])
    app = create_app(settings, hub)
    compiled = endpoint_of(app).compiled
    sent = [0]

    def count(*_: Any) -> None:
        sent[0] += 1

    hub.db.on_statement(count)
    return _bench_route(
        app,
        "/__bench/sql",
        lambda: {"statements": sent[0], "stats": dict(compiled.stats) if compiled is not None else {}},
    )


# ---- memory ---------------------------------------------------------------------------------------


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


@dataclass
class Memory:
    """RSS of a set of server processes over one scenario, in MB (summed over the processes)."""

    start_mb: float = 0.0
    peak_mb: float = 0.0
    end_mb: float = 0.0
    peak_by_process: dict[str, float] = field(default_factory=dict)
    samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, MB)
    # Each process's RSS a quarter in and at the end: one process's growth (the gateway's) can hide
    # in the sum when another shrinks.
    settled_by_process: dict[str, float] = field(default_factory=dict)
    end_by_process: dict[str, float] = field(default_factory=dict)

    @property
    def settled_mb(self) -> float:
        """RSS a quarter into the scenario: after the ramp-up that concurrency alone causes, so
        that `end_mb - settled_mb` is growth under steady load."""
        if not self.samples:
            return self.start_mb
        quarter = self.samples[-1][0] / 4
        return next(mb for seconds, mb in self.samples if seconds >= quarter)


class MemoryWatch:
    """`async with MemoryWatch(servers) as memory:` samples RSS while the block runs."""

    def __init__(self, servers: Sequence[Server], interval: float = 0.5, expected: float = 0.0) -> None:
        self.processes: list[tuple[str, int]] = []
        for server in servers:
            pids = server.pids()
            self.processes += [(server.name if len(pids) == 1 else f"{server.name}[{pid}]", pid) for pid in pids]
        self.interval = interval
        self.memory = Memory()
        self._task: asyncio.Task[None] | None = None
        self._began = 0.0
        self._reset = False
        self._quarter = expected / 4  # when each process's settled RSS is read

    def _total_mb(self) -> float:
        return sum(self._each_mb().values())

    def _each_mb(self) -> dict[str, float]:
        return {name: _status_kb(pid, "VmRSS:") / 1024 for name, pid in self.processes}

    async def _sample(self) -> None:
        while True:
            each = self._each_mb()
            elapsed = time.monotonic() - self._began
            self.memory.samples.append((elapsed, sum(each.values())))
            if not self.memory.settled_by_process and elapsed >= self._quarter:
                self.memory.settled_by_process = each
            await asyncio.sleep(self.interval)

    async def __aenter__(self) -> Memory:
        self._reset = all([_reset_peak(pid) for _, pid in self.processes])
        self._began = time.monotonic()
        self.memory.start_mb = self._total_mb()
        self._task = asyncio.create_task(self._sample())
        return self.memory

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        memory = self.memory
        memory.end_by_process = self._each_mb()
        memory.end_mb = sum(memory.end_by_process.values())
        if not memory.settled_by_process:
            memory.settled_by_process = dict(memory.end_by_process)
        memory.samples.append((time.monotonic() - self._began, memory.end_mb))
        sampled = max(mb for _, mb in memory.samples)
        if self._reset:
            memory.peak_by_process = {name: _status_kb(pid, "VmHWM:") / 1024 for name, pid in self.processes}
            memory.peak_mb = max(sampled, sum(memory.peak_by_process.values()))
        else:  # no clear_refs: the sampled maximum is all we know
            memory.peak_by_process = {name: _status_kb(pid, "VmRSS:") / 1024 for name, pid in self.processes}
            memory.peak_mb = sampled


# ---- CPU ------------------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> int:
    """utime + stime (fields 14 and 15 of /proc/<pid>/stat) of a process and all its threads; 0 once it has exited."""
    fields = _stat(pid)
    return 0 if fields is None else int(fields[11]) + int(fields[12])


def cpu_seconds(pids: Iterable[int]) -> float:
    """CPU seconds the processes have used so far; a process that has exited counts 0."""
    return sum(_cpu_ticks(pid) for pid in pids) / CLOCK_TICKS


def postgres_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine: the postmaster (its name) and its backends and
    background workers (their titles, "postgres: …"). They belong to the postgres user, but their
    /proc/<pid>/stat is world-readable."""
    found = []
    for pid in _pids():
        try:
            name = Path(f"/proc/{pid}/comm").read_text().rstrip("\n")
        except OSError:
            continue
        if name == "postgres" or _cmdline(pid).startswith(b"postgres:"):
            found.append(pid)
    return found


class ChangingProcessesCpu:
    """A meter of the CPU seconds of a set of processes that changes while it is read (a database
    server's backends come and go with the clients' connections): each read lists them again.

    A process that started since the last read counts whole; one that has exited keeps its last
    reading, so the total never falls, and what it used after that reading is lost."""

    def __init__(self, list_pids: Callable[[], Iterable[int]]) -> None:
        self._list_pids = list_pids
        self._ticks: dict[int, int] = {}

    def __call__(self) -> float:
        for pid in self._list_pids():
            self._ticks[pid] = max(self._ticks.get(pid, 0), _cpu_ticks(pid))
        return sum(self._ticks.values()) / CLOCK_TICKS
