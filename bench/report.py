"""The bench's table and the issue's targets, checked from the measured rows.

`÷R` is a row's requests/s divided by the floor R's (the driver floor) for the same data shape and
concurrency, measured in the same run and round: 1 person against the 1-person floor, 100 people
against the 100-people floor. The mutation has no floor, so no ratio. `--rounds N` runs each
level's scenarios N times in turn; `medians` then prints each ratio's median over the rounds and
its range, and the scaling check compares median requests/s.

`CPU µs/req srv+db` is the CPU time (user + system, from /proc) the server's processes (every
uvicorn worker; in the federated shape the subgraphs and the gateway) and the database's spent per
measured request, in µs: `412 + 180`, or the server's alone where the database has no processes of
its own to read (SQLite works inside the server process, so its share is in the server's figure; a
PostgreSQL elsewhere cannot be read). The database's figure is every PostgreSQL process on this
machine, its background workers and other clients' sessions included. `÷R CPU` is the floor R's
server + database CPU per request divided by the row's, paired as `÷R` is: like `÷R`, below 1 is
costlier than R. On a shared 2-core machine requests/s moves with whatever else runs; the CPU a
request costs moves too (measured: up to 40 % between identical runs), usually less. Rounds and
medians are the answer to both. The load client's own CPU is not in it: the settings line reports
that separately.

`SQL/req` is what one request sends on its own (the in-process probe); `load SQL/req` what the
served hub sent per request during the scenario (its own counters, warm-up included): fewer when
requests share an audit append (group commit).
"""

from __future__ import annotations

import math
import os
import platform
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.scenarios import MUTATION

SCALING_TARGET = 0.8  # requests/s at the highest concurrency ÷ at the lowest
MEMORY_TARGET_MB = 200.0  # peak RSS per server process (per worker), Hive Gateway aside
GATEWAY = "gateway"  # the federated shape's Node process, with a target of its own
GATEWAY_MEMORY_TARGET_MB = 300.0
FLAT_TOLERANCE_MB = 5.0
FLAT_TOLERANCE = 0.05

COMPILED_PERSON = "hub (compiled): person (PersonStatus)"
COMPILED_PEOPLE = "hub (compiled): people(ids:) x100"


@dataclass(frozen=True)
class Target:
    """A row's median `÷R` over the rounds, at least `minimum`, or at least `minimum` times the
    median `÷R` of the row named in `of` (measured in the same run)."""

    label: str
    scenario: str
    minimum: float
    of: str | None = None

    def wanted(self) -> str:
        return f"÷R ≥ {self.minimum:.2f}" if self.of is None else f"÷R ≥ {self.minimum:.2f} × the compiled row's"


# The performance targets, one per row of the table they were set in.
TARGETS = (
    Target("compiled, audited: person", COMPILED_PERSON, 0.85),
    Target("compiled, audited: people ×100", COMPILED_PEOPLE, 0.80),
    Target("general (text documents): person", "hub (general): person (PersonStatus)", 0.8, of=COMPILED_PERSON),
    Target("general (text documents): people ×100", "hub (general): people(ids:) x100", 0.8, of=COMPILED_PEOPLE),
    Target("federated: person", "gateway: person (PersonStatus)", 0.20),
    Target("federated: people ×100", "gateway: people(ids:) x100", 0.30),
)


@dataclass
class Row:
    scenario: str
    shape: str
    server: str
    concurrency: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    sql_per_request: float | None
    rss_start_mb: float
    rss_peak_mb: float
    rss_end_mb: float
    rss_settled_mb: float  # a quarter into the run, after the ramp-up that concurrency alone causes
    requests: int
    failures: int  # errors + refusals
    client_cpu_us: float
    server_cpu_us: float | None  # per request, the server's processes
    db_cpu_us: float | None  # per request, PostgreSQL's processes (None: no database meter)
    subgraphs_cpu_us: float | None = None  # per request, the subgraphs' part of `server_cpu_us` (federated)
    peak_by_process: dict[str, float] = field(default_factory=dict)
    settled_by_process: dict[str, float] = field(default_factory=dict)  # each process a quarter in
    end_by_process: dict[str, float] = field(default_factory=dict)
    ratio: float | None = None
    cpu_ratio: float | None = None
    sql_under_load: float | None = None  # statements / requests on the served hub (one worker, hub shape)
    round: int = 1  # which run of its concurrency level's scenarios (`--rounds`)

    @property
    def is_floor(self) -> bool:
        return self.server != "hub"

    @property
    def cpu_us(self) -> float | None:
        """Server + database CPU per request."""
        return None if self.server_cpu_us is None else self.server_cpu_us + (self.db_cpu_us or 0.0)


def add_ratios(rows: Sequence[Row]) -> None:
    floors = {(row.shape, row.concurrency, row.round): row for row in rows if row.server == "floor"}
    for row in rows:
        floor = floors.get((row.shape, row.concurrency, row.round)) if row.shape != MUTATION else None
        row.ratio = row.rps / floor.rps if floor and floor.rps else None
        row.cpu_ratio = floor.cpu_us / row.cpu_us if floor and floor.cpu_us and row.cpu_us else None


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def _cpu(row: Row) -> str:
    if row.db_cpu_us is None:
        return _fmt(row.server_cpu_us, 0)
    return f"{_fmt(row.server_cpu_us, 0)} + {_fmt(row.db_cpu_us, 0)}"


def table(rows: Sequence[Row]) -> str:
    headers = (
        "scenario",
        "conc",
        "rps",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "SQL/req",
        "load SQL/req",
        "CPU µs/req srv+db",
        "RSS start/peak/end MB",
        "÷R",
        "÷R CPU",
        "failed",
    )
    rounds = max((row.round for row in rows), default=1) > 1
    body = [
        (
            f"{row.scenario} #{row.round}" if rounds else row.scenario,
            str(row.concurrency),
            _fmt(row.rps),
            _fmt(row.p50_ms, 2),
            _fmt(row.p95_ms, 2),
            _fmt(row.p99_ms, 2),
            _fmt(row.sql_per_request, 1),
            _fmt(row.sql_under_load, 1),
            _cpu(row),
            f"{row.rss_start_mb:.0f} / {row.rss_peak_mb:.0f} / {row.rss_end_mb:.0f}",
            _fmt(row.ratio, 2),
            _fmt(row.cpu_ratio, 2),
            str(row.failures),
        )
        for row in rows
    ]
    return _render(headers, body)


def medians(rows: Sequence[Row]) -> str:
    """Per scenario and concurrency, the median over the rounds (`--rounds`) of requests/s and of
    the ratios, each round's ratio taken against R measured in the same round; and their range."""
    headers = ("scenario (median of rounds)", "conc", "rounds", "rps", "÷R", "÷R min–max", "÷R CPU", "÷R CPU min–max")
    body = []
    for name, level in dict.fromkeys((row.scenario, row.concurrency) for row in rows):
        runs = [row for row in rows if row.scenario == name and row.concurrency == level]
        ratios = [row.ratio for row in runs if row.ratio is not None]
        cpu = [row.cpu_ratio for row in runs if row.cpu_ratio is not None]
        body.append(
            (
                name,
                str(level),
                str(len(runs)),
                _fmt(statistics.median(row.rps for row in runs)),
                _fmt(statistics.median(ratios) if ratios else None, 2),
                f"{min(ratios):.2f}–{max(ratios):.2f}" if ratios else "—",
                _fmt(statistics.median(cpu) if cpu else None, 2),
                f"{min(cpu):.2f}–{max(cpu):.2f}" if cpu else "—",
            )
        )
    return _render(headers, body)


def _render(headers: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    widths = [max(len(line[index]) for line in (headers, *body)) for index in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) if index == 0 else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(cells) for cells in body)])


def machine(database: str) -> str:
    """nproc, the CPU model, Python, the database."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = "unknown CPU"
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"machine: nproc {cpus}, {model}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, database {database}"
    )


@dataclass
class Check:
    target: str
    passed: bool
    detail: str
    measured: bool = True  # False: this run has no row for it (another shape, `--only`); neither PASS nor FAIL

    def __str__(self) -> str:
        verdict = "PASS" if self.passed else "FAIL" if self.measured else "----"
        return f"[{verdict}] {self.target}: {self.detail}"


def _median_ratio(rows: Sequence[Row], scenario: str, level: int) -> float | None:
    ratios = [row.ratio for row in rows if row.scenario == scenario and row.concurrency == level and row.ratio]
    return statistics.median(ratios) if ratios else None


def target_checks(rows: Sequence[Row]) -> list[Check]:
    """Every target of TARGETS at each concurrency level measured, from the median ratio over the
    rounds; a target whose rows this run did not measure is printed as not measured."""
    found: list[Check] = []
    levels = sorted({row.concurrency for row in rows}) or [None]
    for target in TARGETS:
        for level in levels:
            where = f"{target.label} @ {level}" if level is not None else target.label
            ratio = _median_ratio(rows, target.scenario, level) if level is not None else None
            if ratio is None:
                found.append(Check(where, False, f"{target.wanted()}: not measured in this run", measured=False))
                continue
            if target.of is None:
                found.append(Check(where, ratio >= target.minimum, f"{target.wanted()}: {ratio:.2f}"))
                continue
            reference = _median_ratio(rows, target.of, level) if level is not None else None
            if reference is None:
                found.append(Check(where, False, f"{target.wanted()}: the compiled row was not measured", False))
                continue
            share = ratio / reference
            found.append(
                Check(where, share >= target.minimum, f"{target.wanted()}: {ratio:.2f} ÷ {reference:.2f} = {share:.2f}")
            )
    return found


def _gateway_checks(served: Sequence[Row]) -> list[Check]:
    """Hive Gateway's own RSS: its peak under GATEWAY_MEMORY_TARGET_MB, flat under steady load."""
    rows = [row for row in served if GATEWAY in row.peak_by_process]
    if not rows:
        return []
    peak, where = max((row.peak_by_process[GATEWAY], f"{row.scenario} @ {row.concurrency}") for row in rows)
    growths = []
    for row in rows:
        settled = row.settled_by_process.get(GATEWAY, row.peak_by_process[GATEWAY])
        end = row.end_by_process.get(GATEWAY, settled)
        growths.append((end - settled, max(FLAT_TOLERANCE_MB, FLAT_TOLERANCE * settled), row, settled, end))
    growth, allowed, row, settled, end = max(growths, key=lambda item: item[0] - item[1])
    return [
        Check(
            f"gateway peak RSS < {GATEWAY_MEMORY_TARGET_MB:.0f} MB",
            peak < GATEWAY_MEMORY_TARGET_MB,
            f"largest {peak:.0f} MB ({where})",
        ),
        Check(
            "gateway RSS flat under steady load (end vs a quarter in)",
            all(g <= a for g, a, *_ in growths),
            f"most growth {growth:+.1f} MB ({row.scenario} @ {row.concurrency}: {settled:.0f} → {end:.0f} MB; "
            f"allowed +{allowed:.1f})",
        ),
    ]


def checks(rows: Sequence[Row]) -> list[Check]:
    """The issue's targets for the hub's own rows (floors are references, not subjects)."""
    found: list[Check] = []
    served = [row for row in rows if not row.is_floor]
    levels = sorted({row.concurrency for row in rows})
    if len(levels) > 1:
        low, high = levels[0], levels[-1]
        for name in dict.fromkeys(row.scenario for row in served):
            rps = {
                level: statistics.median(row.rps for row in served if row.scenario == name and row.concurrency == level)
                for level in (low, high)
                if any(row.scenario == name and row.concurrency == level for row in served)
            }
            if low in rps and high in rps and rps[low] > 0:
                kept = rps[high] / rps[low]
                found.append(
                    Check(
                        f"throughput at {high} ≥ {SCALING_TARGET:.0%} of at {low}",
                        kept >= SCALING_TARGET,
                        f"{name}: {rps[high]:,.1f} / {rps[low]:,.1f} rps = {kept:.2f}",
                    )
                )
    if served:
        peaks = [
            (mb, f"{row.scenario} @ {row.concurrency}, {name}")
            for row in served
            for name, mb in (row.peak_by_process or {"server": row.rss_peak_mb}).items()
            if name != GATEWAY
        ]
        mb, where = max(peaks)
        found.append(
            Check(
                f"peak RSS < {MEMORY_TARGET_MB:.0f} MB per worker",
                mb < MEMORY_TARGET_MB,
                f"largest {mb:.0f} MB ({where})",
            )
        )
        found += _gateway_checks(served)
        growths = [
            (row.rss_end_mb - row.rss_settled_mb, max(FLAT_TOLERANCE_MB, FLAT_TOLERANCE * row.rss_settled_mb), row)
            for row in served
        ]
        growth, allowed, row = max(growths, key=lambda item: item[0] - item[1])
        found.append(
            Check(
                "RSS flat under steady load (end vs a quarter in)",
                all(g <= a for g, a, _ in growths),
                f"most growth {growth:+.1f} MB ({row.scenario} @ {row.concurrency}: "
                f"{row.rss_settled_mb:.0f} → {row.rss_end_mb:.0f} MB; allowed +{allowed:.1f})",
            )
        )
    found += target_checks(rows)
    for row in rows:
        if row.failures:
            found.append(
                Check(
                    "every request answered",
                    False,
                    f"{row.scenario} @ {row.concurrency}: {row.failures} of {row.requests} failed",
                )
            )
    return found


def subgraph_shares(rows: Sequence[Row]) -> str:
    """In the federated shape, the subgraphs' part of the server CPU per request; the rest is Hive
    Gateway's."""
    lines = []
    for row in rows:
        if row.subgraphs_cpu_us is not None and row.server_cpu_us:
            part, whole = row.subgraphs_cpu_us, row.server_cpu_us
            round_ = f" #{row.round}" if row.round > 1 else ""
            lines.append(
                f"  {row.scenario} @ {row.concurrency}{round_}: subgraphs {part:,.0f} of {whole:,.0f} "
                f"({part / whole:.0%}), gateway {whole - part:,.0f}"
            )
    return "server CPU µs/req, the subgraphs' share:\n" + "\n".join(lines) if lines else ""


def processes(rows: Sequence[Row]) -> str:
    """Peak RSS per process, when a shape has several (federated) or uvicorn runs several workers."""
    lines = []
    for row in rows:
        if len(row.peak_by_process) > 1:
            parts = ", ".join(f"{name} {mb:.0f}" for name, mb in row.peak_by_process.items())
            lines.append(f"  {row.scenario} @ {row.concurrency}: {parts} MB")
    return "peak RSS by process:\n" + "\n".join(lines) if lines else ""
