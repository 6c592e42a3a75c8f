"""Services: eligibility answers with exactly the blockers the service's mutation refuses with, each
from the sector that owns the rule (traffic's unpaid violations block passports' and civil affairs'
services), a refused service writes nothing, and an allowed one does what it says."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import delete, select, text, update

from hub.registry import installed_sectors
from sectors.passports.models import (
    IqamaRow,
    PassportRow,
)
from sectors.traffic.models import DrivingLicenceRow, ViolationRow
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.asking import unpaid_violation
from tests.services.tables import changed, every_row

ELIGIBILITY = """query($id: ID!, $service: ServiceName!, $item: String) {
  eligibility(personId: $id, service: $service, item: $item) {
    allowed blockers { sector code message messageAr resolveBy resolveByAr }
  }
}"""

MUTATION = {
    "ISSUE_EXIT_REENTRY_VISA": (
        "issueExitReentryVisa",
        "IssueExitReentryVisaInput",
        {"kind": "SINGLE", "days": 1},
        "passports",
    ),
    "RENEW_IQAMA": ("renewIqama", "RenewIqamaInput", {}, "passports"),
    "ISSUE_FINAL_EXIT_VISA": ("issueFinalExitVisa", "IssueFinalExitVisaInput", {}, "passports"),
    "EXTEND_EXIT_REENTRY_VISA": ("extendExitReentryVisa", "ExtendExitReentryVisaInput", {"days": 1}, "passports"),
    "CANCEL_EXIT_REENTRY_VISA": ("cancelExitReentryVisa", "CancelVisaInput", {}, "passports"),
    "CANCEL_FINAL_EXIT_VISA": ("cancelFinalExitVisa", "CancelVisaInput", {}, "passports"),
    "FILE_ABSCONDING_REPORT": ("fileAbscondingReport", "AbscondingReportInput", {}, "passports"),
    "CANCEL_ABSCONDING_REPORT": ("cancelAbscondingReport", "AbscondingReportInput", {}, "passports"),
    "RENEW_PASSPORT": ("renewPassport", "RenewPassportInput", {}, "passports"),
    "TRANSFER_SPONSORSHIP": (
        "transferSponsorship",
        "TransferSponsorshipInput",
        {"newSponsorId": PERSONA["family_head"], "party": "SPONSOR"},
        "passports",
    ),
    "RENEW_DRIVING_LICENCE": ("renewDrivingLicence", "RenewDrivingLicenceInput", {}, "traffic"),
    "RENEW_ID_CARD": ("renewIdCard", "RenewIdCardInput", {}, "civil_affairs"),
    "RENEW_VEHICLE_REGISTRATION": ("renewVehicleRegistration", "RenewVehicleRegistrationInput", {}, "traffic"),
    "TRANSFER_VEHICLE_OWNERSHIP": (
        "transferVehicleOwnership",
        "TransferVehicleOwnershipInput",
        {"buyerId": "1000000008"},  # no persona: the seller is never the buyer here
        "traffic",
    ),
    "ACCEPT_VEHICLE_TRANSFER": ("acceptVehicleTransfer", "AcceptVehicleTransferInput", {}, "traffic"),
    "REPORT_LOST_ID_CARD": ("reportLostIdCard", "ReportLostIdCardInput", {}, "civil_affairs"),
    "REGISTER_NEWBORN": (
        "registerNewborn",
        "RegisterNewbornInput",
        {
            "nameAr": "سارة محمد",
            "nameEn": "Sara Mohammed",
            "sex": "FEMALE",
            "bornOn": str(TODAY - dt.timedelta(days=3)),
            "cityAr": "الرياض",
            "cityEn": "Riyadh",
        },
        "civil_affairs",
    ),
    "APPLY_SAFETY_PERMIT": (
        "applySafetyPermit",
        "ApplySafetyPermitInput",
        {
            "establishmentNameAr": "بقالة",
            "establishmentNameEn": "Grocery",
            "establishmentKind": "RETAIL",
            "city": "Riyadh",
        },
        "civil_defence",
    ),
    "RENEW_SAFETY_PERMIT": ("renewSafetyPermit", "RenewSafetyPermitInput", {}, "civil_defence"),
}
ITEM = {
    "RENEW_VEHICLE_REGISTRATION": "sequenceNumber",
    "TRANSFER_VEHICLE_OWNERSHIP": "sequenceNumber",
    "ACCEPT_VEHICLE_TRANSFER": "sequenceNumber",
    "RENEW_SAFETY_PERMIT": "number",
}
"""The input field naming the thing a service acts on, which eligibility takes as `item`."""


def _mutation(service: str) -> str:
    name, input_type, _, _ = MUTATION[service]
    return f"""mutation($input: {input_type}!) {{ {name}(input: $input) {{
      __typename
      ... on Refusal {{ code blockers {{ sector code message messageAr resolveBy resolveByAr }} }}
    }} }}"""


async def asked(api: Api, service: str, person_id: str, caller: Any, item: str | None = None) -> list[dict[str, Any]]:
    """The blockers eligibility gives, after checking that the mutation refuses with the same ones
    and writes nothing (every table compared); [] when it is allowed (the mutation is then not run).
    `item`: the vehicle's or permit's number, for a service that acts on one."""
    result = await api.query(ELIGIBILITY, {"id": person_id, "service": service, "item": item}, as_=caller)
    assert "errors" not in result, result
    eligibility = result["data"]["eligibility"]
    assert eligibility["allowed"] is (not eligibility["blockers"])
    if eligibility["allowed"]:
        return []
    name, _, extra, _ = MUTATION[service]
    named = {ITEM[service]: item} if service in ITEM else {}
    before = await every_row(api)
    refused = await api.query(_mutation(service), {"input": {"personId": person_id, **extra, **named}}, as_=caller)
    assert refused["data"][name]["__typename"] == "Refusal", refused
    assert refused["data"][name]["blockers"] == eligibility["blockers"]
    assert refused["data"][name]["code"] == eligibility["blockers"][0]["code"]
    assert changed(before, await every_row(api)) == [], "a refused service wrote something"
    return eligibility["blockers"]  # type: ignore[no-any-return]


async def test_every_service_is_compared_here(api: Api) -> None:
    found = await api.query('{ __type(name: "ServiceName") { enumValues { name } } }')
    assert {value["name"] for value in found["data"]["__type"]["enumValues"]} == set(MUTATION)


async def test_a_service_acting_on_a_thing_needs_its_number_and_no_other_takes_one(api: Api) -> None:
    caller = officer("traffic")
    renewal = {"id": PERSONA["sponsor"], "service": "RENEW_VEHICLE_REGISTRATION"}
    missing = await api.query(ELIGIBILITY, renewal, as_=caller)
    bad = await api.query(ELIGIBILITY, renewal | {"item": "12"}, as_=caller)
    extra = await api.query(
        ELIGIBILITY, {"id": PERSONA["sponsor"], "service": "RENEW_DRIVING_LICENCE", "item": "123456789"}, as_=caller
    )
    for answer in (missing, bad, extra):
        assert answer["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "item"}, answer


def codes(blockers: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(blocker["sector"], blocker["code"]) for blocker in blockers]


@asynccontextmanager
async def data(api: Api, *changes: Any, undo: Any) -> AsyncIterator[None]:
    async with api.hub.db.connect() as connection:
        for change in changes:
            await connection.execute(change)
        await connection.commit()
    try:
        yield
    finally:
        async with api.hub.db.connect() as connection:
            for change in undo:
                await connection.execute(change)
            await connection.commit()


RENEW_LICENCE = """mutation($input: RenewDrivingLicenceInput!) { renewDrivingLicence(input: $input) {
  ... on DrivingLicenceRenewed { licence { expiresOn { gregorian } } } } }"""
PAY = """mutation($input: PayTrafficViolationInput!) { payTrafficViolation(input: $input) {
  __typename ... on Refusal { code } } }"""

WORKER, SPONSOR = PERSONA["absconding_worker"], individual("sponsor")
PASSPORTS = officer("passports")


async def test_every_rule_of_a_blocked_worker_is_listed_by_the_sector_that_owns_it(api: Api) -> None:
    """The demo worker has an open absconding report; with an unpaid fine, an expired passport and
    an expired iqama too, each service lists each of its rules, traffic's from traffic."""
    yesterday = TODAY - dt.timedelta(days=1)
    async with api.hub.db.connect() as connection:
        passports = [
            tuple(r)
            for r in await connection.execute(
                select(PassportRow.number, PassportRow.status, PassportRow.expires_on).where(
                    PassportRow.person_id == WORKER
                )
            )
        ]
        iqama = (
            await connection.execute(select(IqamaRow.status, IqamaRow.expires_on).where(IqamaRow.person_id == WORKER))
        ).one()
    async with data(
        api,
        unpaid_violation(WORKER, "9900000001"),
        update(PassportRow).where(PassportRow.person_id == WORKER).values(status="expired", expires_on=yesterday),
        update(IqamaRow).where(IqamaRow.person_id == WORKER).values(status="expired", expires_on=yesterday),
        undo=[
            delete(ViolationRow).where(ViolationRow.number == "9900000001"),
            *(
                update(PassportRow).where(PassportRow.number == n).values(status=s, expires_on=e)
                for n, s, e in passports
            ),
            update(IqamaRow).where(IqamaRow.person_id == WORKER).values(status=iqama[0], expires_on=iqama[1]),
        ],
    ):
        exit_reentry = await asked(api, "ISSUE_EXIT_REENTRY_VISA", WORKER, SPONSOR)
        renewal = await asked(api, "RENEW_IQAMA", WORKER, SPONSOR)
        final_exit = await asked(api, "ISSUE_FINAL_EXIT_VISA", WORKER, PASSPORTS)
    assert codes(exit_reentry) == [
        ("passports", "IQAMA_NOT_VALID"),
        ("passports", "PASSPORT_NOT_VALID"),
        ("passports", "ABSCONDING_REPORT_OPEN"),
    ]
    assert codes(renewal) == [
        ("passports", "PASSPORT_NOT_VALID"),
        ("passports", "ABSCONDING_REPORT_OPEN"),
        ("traffic", "UNPAID_VIOLATIONS"),
    ]
    assert codes(final_exit) == [
        ("passports", "IQAMA_NOT_VALID"),
        ("passports", "PASSPORT_NOT_VALID"),
        ("traffic", "UNPAID_VIOLATIONS"),
    ]
    assert all(b["message"] and b["messageAr"] and b["resolveBy"] and b["resolveByAr"] for b in renewal)


async def _worker_with_dependant(api: Api) -> tuple[str, str, str]:
    async with api.hub.db.connect() as connection:
        return tuple(  # type: ignore[return-value]
            (
                await connection.execute(
                    text(
                        "SELECT w.sponsor_id, w.person_id, d.person_id FROM passports_iqamas w "
                        "JOIN passports_iqamas d ON d.sponsor_id = w.person_id "
                        "WHERE w.status = 'valid' AND d.status <> 'cancelled' AND w.sponsor_id LIKE '1%' "
                        "ORDER BY w.person_id, d.person_id LIMIT 1"
                    )
                )
            ).one()
        )


async def test_a_dependants_unpaid_fine_blocks_the_final_exit_without_naming_the_dependant(api: Api) -> None:
    sponsor, worker, dependant = await _worker_with_dependant(api)
    before = await asked(api, "ISSUE_FINAL_EXIT_VISA", worker, individual(sponsor))
    assert ("traffic", "DEPENDANT_UNPAID_VIOLATIONS") not in codes(before)
    async with data(
        api,
        unpaid_violation(dependant, "9900000002"),
        undo=[delete(ViolationRow).where(ViolationRow.number == "9900000002")],
    ):
        blocked = await asked(api, "ISSUE_FINAL_EXIT_VISA", worker, individual(sponsor))
    assert codes(blocked)[-1] == ("traffic", "DEPENDANT_UNPAID_VIOLATIONS")
    assert all(dependant not in str(b) for b in blocked)
    # The dependant's fines were read for the sponsor's question: the dependant's own log says so.
    log = await api.query(DEPENDANTS_LOG, as_=individual(dependant))
    entry = {
        "actor": individual(sponsor).actor,
        "actingAs": "service",
        "sector": "traffic",
        "fields": ["traffic.unpaid_violations_of_dependant"],
    }
    assert entry in log["data"]["me"]["accessLog"]["entries"], log


DEPENDANTS_LOG = "{ me { accessLog(first: 20) { entries { actor actingAs sector fields } } } }"


async def test_a_driving_licence_is_renewed_only_in_its_window_and_without_unpaid_fines(api: Api) -> None:
    traffic = officer("traffic")
    assert codes(await asked(api, "RENEW_DRIVING_LICENCE", PERSONA["minor_child"], traffic)) == [
        ("traffic", "NO_DRIVING_LICENCE")
    ]
    unpaid = await asked(api, "RENEW_DRIVING_LICENCE", PERSONA["unpaid_violations"], traffic)
    assert ("traffic", "UNPAID_VIOLATIONS") in codes(unpaid)
    holder = PERSONA["sponsor"]
    async with api.hub.db.connect() as connection:
        licence = (
            await connection.execute(select(DrivingLicenceRow).where(DrivingLicenceRow.person_id == holder))
        ).one()
        kept = {"issued_on": licence.issued_on, "expires_on": licence.expires_on, "status": licence.status}
    far, soon = TODAY + dt.timedelta(days=181), TODAY + dt.timedelta(days=179)
    restore = update(DrivingLicenceRow).where(DrivingLicenceRow.number == licence.number).values(kept)
    async with data(
        api,
        update(DrivingLicenceRow)
        .where(DrivingLicenceRow.number == licence.number)
        .values(expires_on=far, status="suspended"),
        undo=[restore],
    ):
        assert codes(await asked(api, "RENEW_DRIVING_LICENCE", holder, individual(holder))) == [
            ("traffic", "LICENCE_SUSPENDED"),
            ("traffic", "TOO_EARLY_TO_RENEW"),
        ]
    async with data(
        api,
        update(DrivingLicenceRow)
        .where(DrivingLicenceRow.number == licence.number)
        .values(expires_on=soon, status="valid"),
        undo=[restore],
    ):
        assert await asked(api, "RENEW_DRIVING_LICENCE", holder, individual(holder)) == []
        renewed = await api.query(
            RENEW_LICENCE,
            {"input": {"personId": holder}},
            as_=individual(holder),
        )
        assert renewed["data"]["renewDrivingLicence"]["licence"]["expiresOn"]["gregorian"].startswith(
            str(soon.year + 10)
        )


async def test_unpaid_traffic_fines_suspend_an_id_card_renewal(api: Api) -> None:
    civil = officer("civil_affairs")
    assert codes(await asked(api, "RENEW_ID_CARD", WORKER, civil)) == [("civil_affairs", "NO_ID_CARD")]
    blockers = await asked(api, "RENEW_ID_CARD", PERSONA["unpaid_violations"], civil)
    assert codes(blockers)[-1] == ("traffic", "UNPAID_VIOLATIONS")


async def test_eligibility_is_for_whoever_may_ask_for_the_service(api: Api) -> None:
    refused = await api.query(ELIGIBILITY, {"id": WORKER, "service": "RENEW_IQAMA"}, as_=officer("traffic"))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refused["data"] == {"eligibility": None}
    own = await api.query(ELIGIBILITY, {"id": WORKER, "service": "RENEW_IQAMA"}, as_=individual(WORKER))
    assert "errors" not in own and own["data"]["eligibility"]["allowed"] is False  # the resident asks too
    stranger = await api.query(ELIGIBILITY, {"id": WORKER, "service": "RENEW_IQAMA"}, as_=individual("visitor"))
    assert stranger["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_paying_a_violation_clears_the_block(api: Api) -> None:
    person = PERSONA["unpaid_violations"]
    async with api.hub.db.connect() as connection:
        unpaid = list(
            (
                await connection.execute(
                    select(ViolationRow.number).where(ViolationRow.person_id == person, ViolationRow.status == "unpaid")
                )
            ).scalars()
        )
    assert unpaid
    try:
        for number in unpaid:
            paid = await api.query(
                PAY,
                {"input": {"personId": person, "violationNumber": number}},
                as_=individual("unpaid_violations"),
            )
            assert paid["data"]["payTrafficViolation"]["__typename"] == "TrafficViolationPaid"
        again = await api.query(
            PAY,
            {"input": {"personId": person, "violationNumber": unpaid[0]}},
            as_=individual("unpaid_violations"),
        )
        assert again["data"]["payTrafficViolation"]["code"] == "VIOLATION_NOT_UNPAID"
        assert ("traffic", "UNPAID_VIOLATIONS") not in codes(
            await asked(api, "RENEW_ID_CARD", person, officer("civil_affairs"))
        )
    finally:
        async with api.hub.db.connect() as connection:
            await connection.execute(
                update(ViolationRow).where(ViolationRow.number.in_(unpaid)).values(status="unpaid")
            )
            await connection.commit()


async def test_every_service_refuses_with_exactly_the_blockers_eligibility_gives(api: Api) -> None:
    """Every service of every sector, for people each blocked in their own ways (and the demo
    sponsor's workers, many of them allowed), asked by an officer of the service's sector."""
    services = {service.name: service.sector for sector in installed_sectors() for service in sector.services}
    assert set(MUTATION) == set(services), "a service without its mutation here is not compared"
    async with api.hub.db.connect() as connection:
        workers = list(
            (
                await connection.execute(
                    select(IqamaRow.person_id)
                    .where(IqamaRow.sponsor_id == PERSONA["sponsor"])
                    .order_by(IqamaRow.number)
                )
            ).scalars()
        )
    people = [*PERSONA.values(), *workers]
    seen: set[tuple[str, str]] = set()
    # A service acting on one thing is asked about a number no one holds (its own tests ask about theirs).
    nobodys = {"sequenceNumber": "100000000", "number": "SL0000000000"}
    for service, sector in services.items():
        item = nobodys[ITEM[service]] if service in ITEM else None
        for person in people:
            found = await asked(api, service, person, officer(sector), item)
            seen.update((service, code) for _, code in codes(found))
    # Enough variety that the comparison covered refusals of each passports service.
    assert {service for service, _ in seen} >= {name for name, sector in services.items() if sector == "passports"}
