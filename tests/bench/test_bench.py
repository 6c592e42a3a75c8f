"""`./dev bench`: a tiny run prints every scenario, and the floor R is honest — it answers
with the hub's data for the same IDs and sends the loaders' SQL. No timing is asserted here: the
targets are checked (and printed) by the bench itself."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from bench.cli import exit_code
from bench.floor import compiled_sql, create_floor_app, headline_queries
from bench.instructions import Counted, collected
from bench.instructions import table as instruction_table
from bench.load import _parse
from bench.probe import Answer, ask_hub, endpoint_of, loader_selects, same_data
from bench.report import TARGETS, Row, add_ratios, checks, medians, subgraph_shares, table
from bench.runner import BenchResult
from bench.scenarios import (
    SERVICE,
    Call,
    build,
    headline_calls,
    people_calls,
    people_status,
    persisted,
    person_status,
)
from bench.servers import ChangingProcessesCpu, UnwrittenAudit, cpu_seconds, unaudited
from hub.access.keys import SigningKey
from hub.access.tokens import TokenIssuer
from hub.audit.reading import recorded
from hub.audit.writer import AuditWriter
from hub.contract.national_id import with_check_digit
from hub.identity.models import PersonRow
from hub.web.app import create_app
from tests.conftest import PERSONA, Api, individual

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = [
    "R: 1 person, driver",
    "R: 1 person, SQLAlchemy Core",
    "hub (general): person (PersonStatus)",
    "hub (compiled): person (PersonStatus)",
    "R: 100 people, driver",
    "R: 100 people, SQLAlchemy Core",
    "hub (general): people(ids:) x100",
    "hub (compiled): people(ids:) x100",
    "hub: mutation reportIncident",
]
UNAUDITED_ROW = "hub (compiled, no audit append): person (PersonStatus)"
COMPILED_ROWS = ["hub (compiled): person (PersonStatus)", "hub (compiled): people(ids:) x100"]


def _tiny_bench(tmp_path: Path, *options: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """`python -m bench` on 300 people for half a second a scenario: what it printed, and its JSON."""
    figures = tmp_path / "bench.json"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "bench", "--people", "300", "--duration", "0.5", "--warmup", "0.2"),
            *("--concurrency", "2", *options, "--json", str(figures)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return done, orjson.loads(figures.read_bytes())


def test_a_tiny_run_prints_every_scenario_with_positive_throughput(tmp_path: Path) -> None:
    done, result = _tiny_bench(tmp_path, "--sample", "100", "--calls", "3")
    rows = result["rows"]
    assert [row["scenario"] for row in rows] == SCENARIOS
    for row in rows:
        assert row["rps"] > 0, row
        assert row["failures"] == 0, row
        assert row["sql_per_request"] > 0, row
        assert row["rss_peak_mb"] > 0, row
        assert row["server_cpu_us"] > 0, row
        assert row["db_cpu_us"] is None, row  # SQLite: the database works inside the server process
    # Every hub row is set against R's CPU; how large the ratio is is the bench's verdict, not a test's
    # (a tiny run on a shared machine measures a few ticks of CPU).
    assert all(row["cpu_ratio"] > 0 for row in rows if row["scenario"].startswith("hub (general)")), rows
    assert all(result["same_data"].values()), result["same_data"]
    assert all(result["same_sql"].values()), result["same_sql"]
    # Python calls per request (--calls): every read counted; the floor does least. Plain text is
    # counted once seen often enough to be planned, as under load: its plan costs what the APQ's does.
    calls = result["calls"]
    assert sorted(calls) == sorted(name for name in SCENARIOS if "mutation" not in name)
    for r, general, compiled in (SCENARIOS[0:4:2] + SCENARIOS[3:4], SCENARIOS[4:8:2] + SCENARIOS[7:8]):
        assert 0 < calls[r] < calls[compiled], calls
        # Within 15 %: the audit's background indexer may add its calls to a sample; unplanned text
        # costs several times the plan's.
        assert abs(calls[general] - calls[compiled]) < 0.15 * calls[compiled], calls
    assert "Python calls per request (in process" in done.stdout
    # The compiled rows: measured, answered by the compiled path with the general path's answer.
    compiled = {row["scenario"]: row for row in rows if row["scenario"] in COMPILED_ROWS}
    assert list(compiled) == COMPILED_ROWS
    assert all(row["rps"] > 0 for row in compiled.values())
    for shape in ("headline", "people"):
        assert result["same_data"][f"compiled = general, {shape}"] is True
        assert result["same_data"][f"served compiled = general, {shape} (bytes)"] is True
        assert result["same_sql"][f"floor SQL = loaders' SQL, compiled, {shape}"] is True
    assert result["paths"] and all(result["paths"].values()), result["paths"]
    served = [name for name in result["paths"] if name.startswith("served: ")]
    assert len(served) == 5, served  # every hub row, general and compiled, checked on the served hub
    table = done.stdout
    for name in SCENARIOS:
        assert name in table
    for column in (
        "rps",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "SQL/req",
        "RSS start/peak/end MB",
        "÷R",
        "CPU µs/req srv+db",
        "÷R CPU",
    ):
        assert column in table
    assert "machine: nproc" in table


def test_an_unaudited_run_sets_the_compiled_rows_beside_a_hub_that_appends_no_record(tmp_path: Path) -> None:
    _, result = _tiny_bench(tmp_path, "--sample", "50", "--compiled", "on", "--only", "person", "--unaudited")
    rows = {row["scenario"]: row for row in result["rows"]}
    audited, reference = rows["hub (compiled): person (PersonStatus)"], rows[UNAUDITED_ROW]
    assert reference["server"] == "hub-unaudited" and reference["failures"] == 0 and reference["ratio"] > 0
    # The same loaders' statements, less the audit append's (SQLite: its tip read and the record's
    # insert; the per-person index follows in bulk, off the request).
    assert reference["sql_per_request"] == audited["sql_per_request"] - 2, (audited, reference)
    assert reference["sql_under_load"] < audited["sql_under_load"], (audited, reference)
    assert result["same_data"]["served unaudited reference = general, headline (bytes)"] is True
    assert result["paths"][f"probe: {UNAUDITED_ROW} took the compiled path"] is True
    assert result["paths"][f"served: {UNAUDITED_ROW} @ 2 took the compiled path"] is True


@asynccontextmanager
async def floor_client(url: str, mode: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_floor_app(url, mode)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://floor") as client,
    ):
        yield client


async def _some_people(api: Api, count: int) -> list[str]:
    rows = await api.hub.db.fetch(select(PersonRow.id).order_by(PersonRow.id).limit(count))
    return [row[0] for row in rows]


def _unknown_id(known: set[str]) -> str:
    for serial in range(199_999_999, 100_000_000, -1):  # citizens' IDs from the top: the demo fills from below
        candidate = with_check_digit(f"{serial:09d}")
        if candidate not in known:
            return candidate
    raise AssertionError("no free ID")


async def test_the_floor_answers_the_headline_query_with_the_hubs_data(api: Api) -> None:
    url = api.hub.settings.database_url
    asked = [
        PERSONA["absconding_worker"],
        PERSONA["sponsor"],
        PERSONA["visitor"],
        PERSONA["minor_child"],
        *(await _some_people(api, 5)),
    ]
    asked.append(_unknown_id(set(asked)))  # valid but unknown: null in both
    for mode in ("driver", "core"):
        async with floor_client(url, mode) as floor:
            for person_id in asked:
                hub = await api.query(person_status(), {"id": person_id}, as_=individual(person_id))
                assert "errors" not in hub, hub
                answer = (await floor.post("/person", json={"id": person_id})).json()
                assert answer["data"] == hub["data"], (mode, person_id)


async def test_the_floor_answers_people_with_the_hubs_data(api: Api) -> None:
    url = api.hub.settings.database_url
    people = await _some_people(api, 97)
    asked = [*people, PERSONA["absconding_worker"], people[0], _unknown_id(set(people))]  # a repeat, an unknown
    hub: dict[str, Any] = await api.query(people_status(), {"ids": asked}, as_=SERVICE)
    assert "errors" not in hub, hub
    assert hub["data"]["people"][-1] is None
    for mode in ("driver", "core"):
        async with floor_client(url, mode) as floor:
            answer = (await floor.post("/people", json={"ids": asked})).json()
        assert answer["data"] == hub["data"], mode


async def test_the_floor_sends_the_statements_the_loaders_send(api: Api) -> None:
    dialect = api.hub.db.engine.dialect
    for variables, as_, keys in (
        ({"id": PERSONA["absconding_worker"]}, individual("absconding_worker"), 1),
        ({"ids": await _some_people(api, 100)}, SERVICE, 100),
    ):
        counter = api.count_statements()
        try:
            document = person_status() if "id" in variables else people_status()
            assert "errors" not in await api.query(document, variables, as_=as_)
        finally:
            api.stop_counting(counter)
        floor = sorted(compiled_sql(query, dialect, keys) for query in headline_queries())
        assert loader_selects(counter.statements) == floor


async def test_the_benchs_compiled_calls_answer_as_its_general_calls(api: Api) -> None:
    """The compiled rows' requests (APQ: registered once, then the hash alone) are answered by the
    compiled path, byte for byte as the general rows' requests (plain text) for the same IDs, with
    as many statements counted; the plain ones by the general path (the bench's own probe says)."""
    key = SigningKey.generate()
    signer = TokenIssuer(key)
    people = await _some_people(api, 100)
    asked = [PERSONA["absconding_worker"], PERSONA["sponsor"], PERSONA["visitor"], *people[:3]]
    calls: dict[str, Call] = {}
    setup: list[Call] = []
    for shape, plain in (("person", headline_calls(signer, asked)), ("people", people_calls(signer, people))):
        registrations, hashes = persisted(plain)
        assert len(registrations) == 1  # one document per scenario, registered once
        setup += registrations
        for index, (general, fast) in enumerate(zip(plain, hashes, strict=True)):
            assert b'"query"' not in fast.body and b'"sha256Hash"' in fast.body
            calls[f"{shape} {index} general"], calls[f"{shape} {index} compiled"] = general, fast
    # Plain text never planned here: this is about the general path's bytes against the compiled path's.
    settings = api.hub.settings.model_copy(update=dict(seed_people=0, plan_text_after=1_000_000))
    answers = await ask_hub(settings, key, calls, setup)
    for name in calls:
        if name.endswith(" general"):
            general, fast = answers[name], answers[name.replace(" general", " compiled")]
            assert general.path == "general" and fast.path == "compiled", (name, general.path, fast.path)
            assert general.status == fast.status == 200
            assert "errors" not in general.body and general.body["data"], general.body
            assert fast.raw == general.raw, name
            assert fast.count == general.count, (general.statements, fast.statements)


async def test_the_unaudited_reference_answers_as_the_hub_and_appends_no_audit_record(api: Api) -> None:
    """`--unaudited` measures what the audit costs against a hub that differs in that alone: the
    same bytes for the same request, and no record. The hub apps themselves always append."""
    settings = api.hub.settings.model_copy(update=dict(seed_people=0))
    reference = unaudited(create_app(settings, api.hub))
    assert type(endpoint_of(create_app(settings, api.hub)).audit) is AuditWriter
    assert isinstance(endpoint_of(reference).audit, UnwrittenAudit)
    person = PERSONA["absconding_worker"]
    body = {"query": person_status(), "variables": {"id": person}, "operationName": "PersonStatus"}
    audited_id, reference_id = f"bench-{uuid.uuid4().hex}", f"bench-{uuid.uuid4().hex}"
    headers = api.headers(individual(person))
    audited = await api.client.post("/graphql", json=body, headers={**headers, "x-request-id": audited_id})
    # No lifespan: the reference shares this session's hub, whose database its shutdown would dispose.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=reference), base_url="http://reference") as client:
        answered = await client.post("/graphql", json=body, headers={**headers, "x-request-id": reference_id})
    assert answered.status_code == audited.status_code == 200
    assert '"errors"' not in audited.text and answered.content == audited.content
    assert {entry.sector for entry in await recorded(api.hub.db, request_ids=[audited_id])} >= {"identity", "passports"}
    assert await recorded(api.hub.db, request_ids=[reference_id]) == []


def test_the_load_client_reads_sized_and_chunked_responses() -> None:
    buffer = bytearray(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhel")
    assert _parse(buffer) is None
    buffer += b"loHTTP/1.1 200 OK\r\n"
    assert _parse(buffer) == (200, b"hello", False)
    assert buffer == bytearray(b"HTTP/1.1 200 OK\r\n")
    chunked = bytearray(
        b'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n3\r\n{"a\r\n4\r\n":1}\r\n0\r\n\r\n'
    )
    assert _parse(chunked) == (200, b'{"a":1}', True)
    assert not chunked


BURNER = """
import pathlib, sys, time
pathlib.Path("/proc/self/comm").write_text("a) b (c")  # the name /proc/<pid>/stat shows in parentheses
end = time.process_time() + 0.3
while time.process_time() < end:
    pass
print("burnt", flush=True)
sys.stdin.read()
"""


def test_the_cpu_meters_read_a_process_and_keep_what_it_used_after_it_exits() -> None:
    child = subprocess.Popen([sys.executable, "-c", BURNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdin is not None and child.stdout is not None
    try:
        meter = ChangingProcessesCpu(lambda: [child.pid])
        assert child.stdout.readline() == "burnt\n"
        used = meter()
        assert used >= 0.25, used
        assert cpu_seconds([child.pid]) >= used
    finally:
        child.stdin.close()
        child.wait(timeout=10)
    assert cpu_seconds([child.pid]) == 0  # gone
    assert meter() == used  # the meter keeps its last reading


def _row(scenario: str, server: str, rps: float, cpu_us: float, round_: int, shape: str = "headline") -> Row:
    return Row(
        scenario=scenario,
        shape=shape,
        server=server,
        concurrency=16,
        rps=rps,
        p50_ms=1.0,
        p95_ms=1.0,
        p99_ms=1.0,
        sql_per_request=6.0,
        rss_start_mb=70.0,
        rss_peak_mb=70.0,
        rss_end_mb=70.0,
        rss_settled_mb=70.0,
        requests=100,
        failures=0,
        client_cpu_us=100.0,
        server_cpu_us=cpu_us,
        db_cpu_us=None,
        round=round_,
    )


def test_each_rounds_ratio_is_taken_against_that_rounds_floor_and_the_medians_say_so() -> None:
    rows = [
        _row("R", "floor", 1_000.0, 100.0, 1),
        _row("hub", "hub", 500.0, 200.0, 1),
        _row("R", "floor", 2_000.0, 100.0, 2),
        _row("hub", "hub", 800.0, 400.0, 2),
        _row("R", "floor", 1_000.0, 100.0, 3),
        _row("hub", "hub", 700.0, 125.0, 3),
    ]
    add_ratios(rows)
    assert [row.ratio for row in rows if row.server == "hub"] == [0.5, 0.4, 0.7]
    assert [row.cpu_ratio for row in rows if row.server == "hub"] == [0.5, 0.25, 0.8]
    printed = medians(rows)
    hub_line = next(line for line in printed.splitlines() if line.startswith("hub "))
    assert hub_line.split() == ["hub", "16", "3", "700.0", "0.50", "0.40–0.70", "0.50", "0.25–0.80"]
    assert "hub #2" in table(rows)


def test_instruction_counts_are_read_from_callgrind_and_set_against_their_floor() -> None:
    """`--instructions`: the count is callgrind's last "Collected" line, and each row's share is
    against the driver floor R of its own shape."""
    output = "==7== Callgrind, a call-graph generating cache profiler\n==7== Collected : 1234567\n"
    assert collected(output) == 1_234_567
    with pytest.raises(RuntimeError, match="no count"):
        collected("==7== Callgrind\n")  # the child died before the end: no figure, not a zero
    printed = instruction_table(
        [
            Counted("R: 1 person, driver", "headline", "floor", 1_000_000),
            Counted("R: 1 person, SQLAlchemy Core", "headline", "floor-core", 5_000_000),
            Counted("hub (compiled): person (PersonStatus)", "headline", "hub", 1_250_000),
            Counted("R: 100 people, driver", "people", "floor", 4_000_000),
            Counted("hub (compiled): people(ids:) x100", "people", "hub", 8_000_000),
        ]
    )
    shares = {line.rsplit(None, 2)[0].strip(): line.split()[-1] for line in printed.splitlines()[4:]}
    assert shares == {
        "R: 1 person, driver": "1.00",
        "R: 1 person, SQLAlchemy Core": "0.20",  # set against the driver floor, not a floor of its own
        "hub (compiled): person (PersonStatus)": "0.80",
        "R: 100 people, driver": "1.00",
        "hub (compiled): people(ids:) x100": "0.50",
    }


def _verdicts(found: list[Any]) -> dict[str, str]:
    return {check.target: str(check).split("]")[0].lstrip("[") for check in found}


def _hub_rows(
    compiled_person: float, general_person: float, compiled_people: float, general_people: float
) -> list[Row]:
    """One round of the hub shape at 16, each hub row at the given ÷R (R at 1,000 requests/s)."""
    rows = [
        _row("R: 1 person, driver", "floor", 1_000.0, 100.0, 1),
        _row("hub (general): person (PersonStatus)", "hub", 1_000.0 * general_person, 100.0, 1),
        _row("hub (compiled): person (PersonStatus)", "hub", 1_000.0 * compiled_person, 100.0, 1),
        _row("R: 100 people, driver", "floor", 1_000.0, 100.0, 1, "people"),
        _row("hub (general): people(ids:) x100", "hub", 1_000.0 * general_people, 100.0, 1, "people"),
        _row("hub (compiled): people(ids:) x100", "hub", 1_000.0 * compiled_people, 100.0, 1, "people"),
    ]
    add_ratios(rows)
    return rows


def _result(rows: list[Row], **correct: bool) -> BenchResult:
    same = {"compiled = general, headline": correct.get("same_data", True)}
    paths = {"served: hub (compiled) took the compiled path": correct.get("paths", True)}
    return BenchResult(rows, "", checks(rows), same, {"floor SQL = loaders' SQL": True}, "", paths=paths)


def test_every_target_is_printed_with_a_verdict_and_strict_fails_on_a_miss() -> None:
    found = checks(_hub_rows(0.90, 0.80, 0.85, 0.70))
    verdicts = _verdicts(found)
    assert verdicts == {
        "peak RSS < 200 MB per worker": "PASS",
        "RSS flat under steady load (end vs a quarter in)": "PASS",
        "compiled, audited: person @ 16": "PASS",
        "compiled, audited: people ×100 @ 16": "PASS",
        "general (text documents): person @ 16": "PASS",  # 0.80 ÷ 0.90 = 0.89 of the compiled row
        "general (text documents): people ×100 @ 16": "PASS",  # 0.70 ÷ 0.85 = 0.82
        "federated: person @ 16": "----",  # another shape: not measured, neither PASS nor FAIL
        "federated: people ×100 @ 16": "----",
    }
    assert [target.label for target in TARGETS] == [name.removesuffix(" @ 16") for name in list(verdicts)[2:]]
    assert exit_code(_result(_hub_rows(0.90, 0.80, 0.85, 0.70)), strict=True) == 0
    # Each target misses on its own row: FAIL, and --strict says so by its exit code alone.
    for rows, missed in (
        (_hub_rows(0.84, 0.80, 0.85, 0.70), "compiled, audited: person @ 16"),
        (_hub_rows(0.90, 0.80, 0.79, 0.70), "compiled, audited: people ×100 @ 16"),
        (_hub_rows(0.90, 0.71, 0.85, 0.70), "general (text documents): person @ 16"),  # 0.79 of compiled
        (_hub_rows(0.90, 0.80, 0.85, 0.67), "general (text documents): people ×100 @ 16"),
    ):
        verdicts = _verdicts(checks(rows))
        assert [name for name, verdict in verdicts.items() if verdict == "FAIL"] == [missed]
        assert exit_code(_result(rows), strict=True) == 1
        assert exit_code(_result(rows), strict=False) == 0


def test_a_failed_correctness_check_fails_the_run_without_strict() -> None:
    rows = _hub_rows(0.90, 0.80, 0.85, 0.70)
    assert exit_code(_result(rows, same_data=False), strict=False) == 1
    assert exit_code(_result(rows, paths=False), strict=False) == 1


def test_the_federated_targets_and_the_gateways_memory() -> None:
    def federated(person: float, people: float, settled: float, end: float) -> list[Row]:
        rows = [
            _row("R: 1 person, driver", "floor", 1_000.0, 100.0, 1),
            _row("gateway: person (PersonStatus)", "hub", 1_000.0 * person, 100.0, 1),
            _row("R: 100 people, driver", "floor", 1_000.0, 100.0, 1, "people"),
            _row("gateway: people(ids:) x100", "hub", 1_000.0 * people, 100.0, 1, "people"),
        ]
        for row in rows[1::2]:
            row.peak_by_process = {"subgraph identity": 150.0, "gateway": max(settled, end)}
            row.settled_by_process = {"subgraph identity": 150.0, "gateway": settled}
            row.end_by_process = {"subgraph identity": 150.0, "gateway": end}
        add_ratios(rows)
        return rows

    verdicts = _verdicts(checks(federated(0.21, 0.31, 250.0, 255.0)))
    assert {name: verdicts[name] for name in verdicts if "federated" in name or "gateway" in name} == {
        "federated: person @ 16": "PASS",
        "federated: people ×100 @ 16": "PASS",
        "gateway peak RSS < 300 MB": "PASS",
        "gateway RSS flat under steady load (end vs a quarter in)": "PASS",
    }
    assert verdicts["peak RSS < 200 MB per worker"] == "PASS"  # the gateway has its own target
    assert verdicts["compiled, audited: person @ 16"] == "----"
    missed = _verdicts(checks(federated(0.19, 0.29, 250.0, 320.0)))
    assert [name for name, verdict in missed.items() if verdict == "FAIL"] == [
        "gateway peak RSS < 300 MB",
        "gateway RSS flat under steady load (end vs a quarter in)",
        "federated: person @ 16",
        "federated: people ×100 @ 16",
    ]


def test_the_federated_rows_say_the_subgraphs_share_of_the_server_cpu() -> None:
    gateway = _row("gateway: person (PersonStatus)", "hub", 500.0, 1_600.0, 2)
    gateway.subgraphs_cpu_us = 400.0
    rows = [_row("R: 1 person, driver", "floor", 1_000.0, 100.0, 2), gateway]
    assert subgraph_shares(rows).splitlines() == [
        "server CPU µs/req, the subgraphs' share:",
        "  gateway: person (PersonStatus) @ 16 #2: subgraphs 400 of 1,600 (25%), gateway 1,200",
    ]
    assert subgraph_shares(rows[:1]) == ""  # the hub shape: one server, no share to tell


def test_every_target_names_a_row_the_bench_measures() -> None:
    """A renamed scenario would leave its target unmeasured for ever, never failing."""
    signer = TokenIssuer(SigningKey.generate())
    ids = [with_check_digit(f"{serial:09d}") for serial in range(100_000_001, 100_000_201)]
    names = {s.name for label in ("hub", "gateway") for s in build(signer, ids[:100], ids, label)}
    for target in TARGETS:
        assert target.scenario in names, target
        assert target.of is None or target.of in names, target


def test_the_data_check_reports_a_mismatch_an_error_and_a_failed_status() -> None:
    """The bench's `same_data` is what its "floor = hub" lines print: it must say no when they differ."""
    hub = Answer(200, {"data": {"person": {"id": "1000000008"}}})
    assert same_data(hub, Answer(200, {"data": {"person": {"id": "1000000008"}}}))
    assert not same_data(hub, Answer(200, {"data": {"person": {"id": "2000000006"}}}))
    assert not same_data(hub, Answer(200, {"data": {"person": None}}))
    assert not same_data(Answer(200, {"data": None, "errors": [{"message": "x"}]}), Answer(200, {"data": None}))
    assert not same_data(Answer(500, {"data": {"person": None}}), Answer(200, {"data": {"person": None}}))
