"""A sector's subgraph answers its checks to the other parts of the deployment only: POST /checks
refuses a call the deployment's secret did not sign for exactly that body, lately; and the asking
side takes nothing but that sector's own blockers, or says the sector is unavailable."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest
import pytest_asyncio
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from hub.audit.reading import recorded
from hub.audit.writer import AuditWriter
from hub.contract.errors import SectorUnavailable
from hub.data.db import Database
from hub.data.sectors import PART_DEADLINE, Fault, parse_faults
from hub.registry import installed_sectors
from hub.settings import Settings
from hub.telemetry import traces
from hub.web.app import create_app
from hub.web.gateway_signature import CLIENT_SIGNATURE_SECONDS, PART_SIGNATURE, GatewaySignature
from hub.web.hub import Hub
from hub.web.observed import Observed
from hub.web.part_endpoints import PartEndpoints, part_routes
from hub.web.peer_checks import CHECKS_PATH, RULES_PATH, PeerChecks, part_deadline
from tests.conftest import PERSONA, fixed_today, migrated

UNPAID, CHILD = PERSONA["unpaid_violations"], PERSONA["minor_child"]
ASKED = [("traffic.unpaid_violations", UNPAID), ("traffic.unpaid_violations", CHILD)]
ASKER = {CHECKS_PATH: "passports", RULES_PATH: "identity"}  # parts admitted to ask traffic each
PARTS = {"traffic": "http://traffic.test"}
SERVICES = {service.name: service for sector in installed_sectors() for service in sector.services}
RENEW_LICENCE, RENEW_IQAMA = SERVICES["RENEW_DRIVING_LICENCE"], SERVICES["RENEW_IQAMA"]


@dataclass
class Traffic:
    hub: Hub
    client: httpx.AsyncClient
    secret: str
    app: Starlette


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def traffic(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Traffic]:
    """Traffic's subgraph, in-process, on a small seeded SQLite database of its own."""
    folder: Path = tmp_path_factory.mktemp("traffic-subgraph")
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{folder / 'rabt.db'}", data_dir=folder, seed_people=60, mode="demo"
    )
    hub = Hub.build(settings, subgraph="traffic")
    hub.today = fixed_today
    await migrated(settings, hub)
    app = create_app(settings, hub)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://traffic.test") as client:
            from hub.data.secrets_store import load_secrets

            yield Traffic(hub, client, load_secrets(folder)["RABT_GATEWAY_HMAC_SECRET"], app)


def _body(asked: list[tuple[str, str]]) -> bytes:
    return orjson.dumps({"asked": [{"check": name, "person": person} for name, person in asked]})


async def _call(traffic: Traffic, body: bytes, headers: dict[str, str], path: str = CHECKS_PATH) -> httpx.Response:
    return await traffic.client.post(path, content=body, headers={"content-type": "application/json", **headers})


@pytest.mark.asyncio(loop_scope="module")
async def test_a_signed_call_gets_each_checks_blocker_in_the_order_asked(traffic: Traffic) -> None:
    body = _body(ASKED)
    answered = await _call(traffic, body, GatewaySignature(traffic.secret).sign_part(CHECKS_PATH, body, "passports"))
    assert answered.status_code == 200, answered.text
    blockers = answered.json()["blockers"]
    assert [(b["sector"], b["code"]) if b else None for b in blockers] == [("traffic", "UNPAID_VIOLATIONS"), None]
    assert blockers[0]["message_ar"] and blockers[0]["resolve_by"]


@pytest.mark.asyncio(loop_scope="module")
async def test_an_unsigned_forged_replayed_or_expired_call_is_refused(traffic: Traffic) -> None:
    body, signing = _body(ASKED), GatewaySignature(traffic.secret)
    other = _body([("traffic.unpaid_violations", CHILD)])
    long_ago = int(time.time()) - CLIENT_SIGNATURE_SECONDS - 5
    refused = {
        "unsigned": (body, {}),
        "another deployment's secret": (
            body,
            GatewaySignature("another-secret-" + "y" * 40).sign_part(CHECKS_PATH, body, "passports"),
        ),
        "signed for another body": (body, signing.sign_part(CHECKS_PATH, other, "passports")),
        "signed for another path": (body, signing.sign_part("/graphql", body, "passports")),
        "expired": (body, signing.sign_part(CHECKS_PATH, body, "passports", at=long_ago)),
        "a gateway client-address signature": (
            body,
            {PART_SIGNATURE: signing.sign_client("127.0.0.1")["x-rabt-client-signature"]},
        ),
        "malformed": (body, {PART_SIGNATURE: "t=now,v1=???"}),
        "another asker named than signed": (
            body,
            {
                PART_SIGNATURE: signing.sign_part(CHECKS_PATH, body, "civil_defence")[PART_SIGNATURE].replace(
                    "p=civil_defence", "p=passports"
                )
            },
        ),
    }
    for what, (sent, headers) in refused.items():
        answer = await _call(traffic, sent, headers)
        assert answer.status_code == 401, (what, answer.text)
        assert answer.json()["errors"][0]["extensions"]["code"] == "PART_SIGNATURE_REQUIRED", what
        assert "blockers" not in answer.json(), what


@pytest.mark.asyncio(loop_scope="module")
async def test_a_check_of_another_sector_or_a_bad_id_is_refused(traffic: Traffic) -> None:
    signing = GatewaySignature(traffic.secret)
    for asked in ([("passports.anything", UNPAID)], [("traffic.unpaid_violations", "1000000000")], []):
        body = _body(asked)
        answer = await _call(traffic, body, signing.sign_part(CHECKS_PATH, body, "passports"))
        assert answer.status_code == 400, (asked, answer.text)


def _asking(traffic: Traffic, secret: str, part: str = "passports") -> PeerChecks:
    return PeerChecks(
        {"traffic.unpaid_violations": "traffic"},
        {"traffic": "http://traffic.test/graphql"},
        GatewaySignature(secret),
        budget=3.0,
        client=traffic.client,
        part=part,
    )


@pytest.mark.asyncio(loop_scope="module")
async def test_the_asking_part_takes_the_blockers_or_says_the_sector_is_unavailable(traffic: Traffic) -> None:
    asked = await _asking(traffic, traffic.secret).ask("traffic", ASKED, "request-1")
    assert [(b.sector, b.code) if b else None for b in asked] == [("traffic", "UNPAID_VIOLATIONS"), None]
    with pytest.raises(SectorUnavailable) as refused:
        await _asking(traffic, "another-secret-" + "y" * 40).ask("traffic", ASKED, "request-2")
    assert refused.value.sector == "traffic"
    traffic.hub.stores.faults["traffic"] = Fault("down")
    try:
        with pytest.raises(SectorUnavailable):
            await _asking(traffic, traffic.secret).ask("traffic", ASKED, "request-3")
    finally:
        del traffic.hub.stores.faults["traffic"]


@pytest.mark.asyncio(loop_scope="module")
async def test_the_asking_part_takes_no_other_sectors_blocker(traffic: Traffic) -> None:
    """A part answering for a rule that is not its own is not believed."""
    asking = PeerChecks(
        {"passports.anything": "passports"},
        {"passports": "http://traffic.test"},
        GatewaySignature(traffic.secret),
        budget=3.0,
        client=httpx.AsyncClient(
            transport=httpx.MockTransport(lambda request: httpx.Response(200, json={"blockers": [_traffic_blocker()]}))
        ),
        part="civil_affairs",
    )
    with pytest.raises(SectorUnavailable):
        await asking.ask("passports", [("passports.anything", UNPAID)], "request-4")


def _traffic_blocker() -> dict[str, str]:
    return {
        "sector": "traffic",
        "code": "UNPAID_VIOLATIONS",
        "message": "m",
        "message_ar": "m",
        "resolve_by": "r",
        "resolve_by_ar": "r",
    }


@pytest.mark.asyncio(loop_scope="module")
async def test_a_services_rules_are_answered_to_a_signed_call_only(traffic: Traffic) -> None:
    """/rules (identity's `eligibility` asks it): the service's blockers, as its mutation refuses."""
    signing = GatewaySignature(traffic.secret)
    body = orjson.dumps({"service": "RENEW_DRIVING_LICENCE", "person": UNPAID, "item": None})
    assert (await _call(traffic, body, {}, RULES_PATH)).status_code == 401
    assert (await _call(traffic, body, signing.sign_part(CHECKS_PATH, body, "identity"), RULES_PATH)).status_code == 401
    answered = await _call(traffic, body, signing.sign_part(RULES_PATH, body, "identity"), RULES_PATH)
    assert answered.status_code == 200, answered.text
    assert ("traffic", "UNPAID_VIOLATIONS") in [(b["sector"], b["code"]) for b in answered.json()["blockers"]]
    for wrong in (
        {"service": "RENEW_IQAMA", "person": UNPAID, "item": None},  # not traffic's
        {"service": "RENEW_VEHICLE_REGISTRATION", "person": UNPAID, "item": None},  # needs its vehicle
    ):
        sent = orjson.dumps(wrong)
        assert (
            await _call(traffic, sent, signing.sign_part(RULES_PATH, sent, "identity"), RULES_PATH)
        ).status_code == 400, wrong


@pytest.mark.asyncio(loop_scope="module")
async def test_a_signed_call_of_any_json_shape_is_a_bad_request_not_a_crash(traffic: Traffic) -> None:
    """A part's body is checked as an outside client's is: every shape it may send is a 400."""
    signing = GatewaySignature(traffic.secret)
    shapes = {
        RULES_PATH: [
            {"service": ["RENEW_DRIVING_LICENCE"], "person": UNPAID, "item": None},
            {"service": {"name": "RENEW_DRIVING_LICENCE"}, "person": UNPAID, "item": None},
            {"service": "RENEW_VEHICLE_REGISTRATION", "person": UNPAID, "item": ["123456789"]},
            [],
            "RENEW_DRIVING_LICENCE",
        ],
        CHECKS_PATH: [
            {"asked": [{"check": ["traffic.unpaid_violations"], "person": UNPAID}]},
            {"asked": [{"check": "traffic.unpaid_violations", "person": [UNPAID]}]},
            {"asked": "traffic.unpaid_violations"},
            {"asked": [None]},
        ],
    }
    for path, bodies in shapes.items():
        for shape in bodies:
            body = orjson.dumps(shape)
            answer = await _call(traffic, body, signing.sign_part(path, body, ASKER[path]), path)
            assert answer.status_code == 400, (path, shape, answer.status_code, answer.text)
            assert answer.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST", (path, shape)


@pytest.mark.asyncio(loop_scope="module")
async def test_a_captured_call_sent_again_within_its_minute_is_refused(traffic: Traffic) -> None:
    """Whoever captured a signed call (whether a person has unpaid violations) cannot ask it again;
    the same question signed afresh, even in the same second, is answered."""
    signing = GatewaySignature(traffic.secret)
    for path, body in (
        (CHECKS_PATH, _body(ASKED)),
        (RULES_PATH, orjson.dumps({"service": "RENEW_DRIVING_LICENCE", "person": UNPAID, "item": None})),
    ):
        captured = signing.sign_part(path, body, ASKER[path])
        assert (await _call(traffic, body, captured, path)).status_code == 200
        replayed = await _call(traffic, body, captured, path)
        assert replayed.status_code == 401, (path, replayed.text)
        assert replayed.json()["errors"][0]["extensions"]["code"] == "PART_SIGNATURE_REQUIRED"
        moment = int(time.time())
        for _ in range(2):
            again = await _call(traffic, body, signing.sign_part(path, body, ASKER[path], at=moment), path)
            assert again.status_code == 200, (path, again.text)


def _endpoints(traffic: Traffic) -> PartEndpoints:
    """The app's /checks and /rules handler (its routes' endpoints are its bound methods)."""
    for route in traffic.app.routes:
        owner = getattr(getattr(route, "endpoint", None), "__self__", None)
        if isinstance(owner, PartEndpoints):
            return owner
    raise AssertionError("no part routes")


@pytest.mark.asyncio(loop_scope="module")
async def test_a_slow_sector_asked_within_a_deadline_is_reported_as_itself_in_time(traffic: Traffic) -> None:
    """Identity behind a gateway that waits 2 s asks traffic's /rules (its own budget: twice the
    sector budget, 6 s): traffic's reads are cut to what is left, so its 503 naming traffic comes
    back before the gateway stops waiting, although each read (2.5 s) is within the sector budget."""
    traffic.hub.stores.faults |= parse_faults("traffic=delay:2.5s")  # RABT_FAULTS's switch
    loop = asyncio.get_running_loop()
    token = PART_DEADLINE.set(loop.time() + part_deadline(2.0))
    try:
        with pytest.raises(SectorUnavailable) as refused:
            async with asyncio.timeout(2.0):  # the gateway's wait for identity; its TimeoutError fails this
                await _asking(traffic, traffic.secret, part="identity").rules(
                    RENEW_LICENCE, UNPAID, None, "request-deadline"
                )
    finally:
        PART_DEADLINE.reset(token)
        del traffic.hub.stores.faults["traffic"]
    assert refused.value.sector == "traffic"
    # Traffic's own answer (a 503 naming it), not the asking part's timeout.
    assert refused.value.__cause__ is None


@pytest.mark.asyncio(loop_scope="module")
async def test_a_part_given_no_time_left_answers_sector_unavailable(traffic: Traffic) -> None:
    signing = GatewaySignature(traffic.secret)
    for within, status in ((0, 503), (30, 200), (-1, 400), ("soon", 400), (True, 400)):
        body = orjson.dumps({"asked": [{"check": "traffic.unpaid_violations", "person": UNPAID}], "within": within})
        answer = await _call(traffic, body, signing.sign_part(CHECKS_PATH, body, "passports"))
        assert answer.status_code == status, (within, answer.text)
        if status == 503:
            assert answer.json()["errors"][0]["extensions"] == {"code": "SECTOR_UNAVAILABLE", "sector": "traffic"}


@pytest.mark.asyncio(loop_scope="module")
async def test_a_part_call_waits_for_a_slot_of_the_answering_parts_in_flight(traffic: Traffic) -> None:
    in_flight = _endpoints(traffic).in_flight
    held = [in_flight.running(1) for _ in range(in_flight.slots)]
    for slot in held:
        await slot.__aenter__()
    released = False
    try:
        call = asyncio.create_task(_asking(traffic, traffic.secret).ask("traffic", ASKED, "request-slots"))
        while not call.done() and not in_flight._waiting:
            await asyncio.sleep(0.01)
        assert not call.done(), "answered with every slot taken"
        for slot in held:
            await slot.__aexit__(None, None, None)
        released = True
        asked = await call
    finally:
        if not released:
            for slot in held:
                await slot.__aexit__(None, None, None)
    assert [(b.sector, b.code) if b else None for b in asked] == [("traffic", "UNPAID_VIOLATIONS"), None]
    assert in_flight.free == in_flight.slots


TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.mark.asyncio(loop_scope="module")
async def test_a_part_call_carries_the_callers_trace_and_request_id(traffic: Traffic) -> None:
    seen: list[httpx.Headers] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200, json={"blockers": [None]})

    asking = PeerChecks(
        {"traffic.unpaid_violations": "traffic"},
        {"traffic": "http://traffic.test"},
        GatewaySignature(traffic.secret),
        budget=3.0,
        client=httpx.AsyncClient(transport=httpx.MockTransport(answer)),
        part="passports",
    )
    parent = SpanContext(int(TRACE, 16), 0x00F067AA0BA902B7, is_remote=True, trace_flags=TraceFlags(1))
    with trace.use_span(NonRecordingSpan(parent)):
        await asking.ask("traffic", ASKED[:1], "request-traced")
    assert seen[0]["traceparent"] == f"00-{TRACE}-00f067aa0ba902b7-01"
    assert seen[0]["x-request-id"] == "request-traced"


@pytest.mark.asyncio(loop_scope="module")
async def test_an_answering_part_not_recording_passes_its_callers_trace_on(traffic: Traffic) -> None:
    """Without a collector no span is recorded, and the caller's `traceparent` still reaches the
    parts this one asks (the access log lines of all of them carry one trace id)."""
    forwarded: list[dict[str, str]] = []

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        forwarded.append(traces.outgoing())
        await Response("ok")(scope, receive, send)

    observed = Observed(metrics_from=(), request_id=lambda given: given or "r")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await observed(scope, receive, send, handler)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://part.test") as client:
        await client.get("/checks", headers={"traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"})
    assert forwarded[0].get("traceparent", "").startswith(f"00-{TRACE}-")


@pytest.mark.asyncio(loop_scope="module")
async def test_a_slow_traffic_behind_passports_is_reported_as_traffic_before_the_gateway_stops_waiting(
    traffic: Traffic, tmp_path: Path
) -> None:
    """Identity (behind the gateway's 5 s) asks passports' /rules, which asks traffic's /checks:
    traffic's reads (2.8 s each, inside its 3 s sector budget) are cut to what passports told it is
    left (2.5 s), and its 503 naming traffic comes back through passports in time."""
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'rabt.db'}", data_dir=tmp_path, seed_people=60, mode="demo"
    )
    hub = Hub.build(settings, subgraph="passports")
    hub.today = fixed_today
    await migrated(settings, hub)
    app = create_app(settings, hub)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://passports.test") as client:
            from hub.data.secrets_store import load_secrets

            passports = Traffic(hub, client, load_secrets(tmp_path)["RABT_GATEWAY_HMAC_SECRET"], app)
            # Identity knows every part's URL: an answer naming any of them is believed.
            _endpoints(passports).peers = _asking(traffic, traffic.secret)  # passports asks traffic in-process
            identity = PeerChecks(
                {},
                {**PARTS, "passports": "http://passports.test"},
                GatewaySignature(passports.secret),
                3.0,
                client,
                part="identity",
            )
            traffic.hub.stores.faults |= parse_faults("traffic=delay:2.8s")
            token = PART_DEADLINE.set(asyncio.get_running_loop().time() + part_deadline(5.0))
            try:
                with pytest.raises(SectorUnavailable) as refused:
                    async with asyncio.timeout(5.0):  # the gateway's wait for identity
                        await identity.rules(RENEW_IQAMA, PERSONA["absconding_worker"], None, "request-nested")
            finally:
                PART_DEADLINE.reset(token)
                del traffic.hub.stores.faults["traffic"]
    assert refused.value.sector == "traffic"


async def _asked_as(traffic: Traffic, path: str, body: bytes, asker: str, request_id: str) -> httpx.Response:
    signed = GatewaySignature(traffic.secret).sign_part(path, body, asker)
    return await _call(traffic, body, {**signed, "x-request-id": request_id}, path)


@pytest.mark.asyncio(loop_scope="module")
async def test_each_answer_is_audited_for_every_person_asked_about(traffic: Traffic) -> None:
    """One record per call, under the asker's request id: each person, traffic, the checks' (or
    the service's) names, the asking part as actor, in the `service` capacity; and each person's
    access log (read as `me { accessLog }` reads it) shows it."""
    checks = await _asked_as(traffic, CHECKS_PATH, _body(ASKED), "passports", "asked-checks-1")
    assert checks.status_code == 200, checks.text
    rules_body = orjson.dumps({"service": "RENEW_DRIVING_LICENCE", "person": UNPAID, "item": None})
    rules = await _asked_as(traffic, RULES_PATH, rules_body, "identity", "asked-rules-1")
    assert rules.status_code == 200, rules.text
    found = await recorded(traffic.hub.db, request_ids=["asked-checks-1", "asked-rules-1"])
    assert len({entry.audit_id for entry in found}) == 2
    seen = sorted((e.request_id, e.subject_id, e.sector, e.acting_as, e.fields, e.actor, e.operation) for e in found)
    checked = ("traffic", "service", ("traffic.unpaid_violations",), "service:part:passports", "/checks")
    assert seen == sorted(
        [
            ("asked-checks-1", UNPAID, *checked),
            ("asked-checks-1", CHILD, *checked),
            (
                "asked-rules-1",
                UNPAID,
                "traffic",
                "service",
                ("RENEW_DRIVING_LICENCE",),
                "service:part:identity",
                "/rules",
            ),
        ]
    )
    log = await recorded(traffic.hub.db, subject_id=CHILD)
    assert [(e.request_id, e.actor, e.acting_as) for e in log if e.request_id == "asked-checks-1"] == [
        ("asked-checks-1", "service:part:passports", "service")
    ]


@pytest.mark.asyncio(loop_scope="module")
async def test_no_answer_is_given_when_its_audit_cannot_be_written(traffic: Traffic, tmp_path: Path) -> None:
    """Traffic's endpoints with an audit that has no trail to append to (an empty database): no blockers."""
    unwritable = Database(f"sqlite+aiosqlite:///{tmp_path / 'no-trail.db'}")
    hub = traffic.hub
    signature = GatewaySignature(traffic.secret)
    found = part_routes(
        hub.sectors,
        "traffic",
        signature,
        AuditWriter(unwritable),
        hub.db,
        hub.stores,
        None,
        hub.today,
        _endpoints(traffic).in_flight,
    )
    app = Starlette(routes=found)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t.test") as client:
            body = _body(ASKED)
            answer = await client.post(
                CHECKS_PATH, content=body, headers=signature.sign_part(CHECKS_PATH, body, "passports")
            )
    finally:
        await unwritable.dispose()
    assert answer.status_code == 503, answer.text
    assert answer.json()["errors"][0]["extensions"] == {"code": "SECTOR_UNAVAILABLE", "sector": "traffic"}
    assert "blockers" not in answer.json()


@pytest.mark.asyncio(loop_scope="module")
async def test_only_the_parts_that_have_reason_to_ask_are_answered(traffic: Traffic) -> None:
    """/rules from identity alone; traffic's checks from the sectors whose services ask them
    (passports, civil_affairs): any other part, signed as itself, is refused and nothing is audited."""
    rules_body = orjson.dumps({"service": "RENEW_DRIVING_LICENCE", "person": UNPAID, "item": None})
    refused = {
        "passports asking rules": (RULES_PATH, rules_body, "passports"),
        "traffic asking its own rules": (RULES_PATH, rules_body, "traffic"),
        "identity asking checks": (CHECKS_PATH, _body(ASKED), "identity"),
        "civil defence asking checks": (CHECKS_PATH, _body(ASKED), "civil_defence"),
        "civil affairs asking a dependant's check": (
            CHECKS_PATH,
            _body([("traffic.unpaid_violations_of_dependant", CHILD)]),
            "civil_affairs",
        ),
    }
    for index, (what, (path, body, asker)) in enumerate(refused.items()):
        answer = await _asked_as(traffic, path, body, asker, f"not-admitted-{index}")
        assert answer.status_code == 403, (what, answer.text)
        assert answer.json()["errors"][0]["extensions"]["code"] == "PART_NOT_ADMITTED", what
    assert await recorded(traffic.hub.db, request_ids=[f"not-admitted-{i}" for i in range(len(refused))]) == []
    admitted = await _asked_as(traffic, CHECKS_PATH, _body(ASKED), "civil_affairs", "admitted-1")
    assert admitted.status_code == 200, admitted.text
    with pytest.raises(SectorUnavailable):
        await _asking(traffic, traffic.secret, part="identity").ask("traffic", ASKED, "request-5")
