"""Notifications over HTTP: a mutation keeps a bilingual notice in its own transaction (none when it
is refused), the person reads theirs page by page and nobody else can, and the daily expiry job
keeps each reminder once however often it runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from hub.contract import REMIND_DAYS
from hub.contract.principal import Principal
from hub.identity.models import PersonRow
from hub.notifications.bus import LocalBus
from hub.notifications.expiries import due, notify_expiries
from hub.notifications.notices import INBOX
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.civil_affairs.test_civil_affairs import deceased, update_address

PAGE = """query($first: Int!, $after: String) { me { notifications(first: $first, after: $after) {
  entries { id kind sector messageEn messageAr ar: message(language: AR) createdAt } nextCursor } } }"""


async def _fresh_citizen(api: Api, offset: int) -> str:
    """A citizen no other test writes for (the seed's, past the personas), so their inbox is this test's."""
    rows = await api.hub.db.fetch(
        select(PersonRow.id)
        .where(PersonRow.id.like("1%"), PersonRow.id.not_in(list(PERSONA.values())))
        .order_by(PersonRow.id.desc())
        .offset(offset)
        .limit(1)
    )
    return str(rows[0][0])


async def _inbox(api: Api, person_id: str) -> int:
    rows = await api.hub.db.fetch(select(func.count()).select_from(INBOX).where(INBOX.c.person_id == person_id))
    return int(rows[0][0])


async def _page(api: Api, as_: Principal, first: int, after: str | None = None) -> dict[str, Any]:
    result = await api.query(PAGE, {"first": first, "after": after}, as_=as_)
    assert "errors" not in result, result["errors"]
    return result["data"]["me"]["notifications"]  # type: ignore[no-any-return]


async def test_a_completed_service_is_kept_for_the_person_and_read_page_by_page(api: Api) -> None:
    person_id = await _fresh_citizen(api, 3)
    me = individual(person_id)
    for building in ("1111", "2222", "3333"):
        result = await update_address(api, person_id, as_=me, buildingNumber=building)
        assert result["data"]["updateNationalAddress"]["__typename"] == "NationalAddressUpdated"
    first = await _page(api, me, 2)
    assert [entry["kind"] for entry in first["entries"]] == ["SERVICE_COMPLETED", "SERVICE_COMPLETED"]
    newest = first["entries"][0]
    assert newest["sector"] == "civil_affairs"
    assert "national address" in newest["messageEn"] and "عنوانك الوطني" in newest["messageAr"]
    assert newest["ar"] == newest["messageAr"]
    assert int(newest["id"]) > int(first["entries"][1]["id"])  # newest first
    second = await _page(api, me, 2, first["nextCursor"])
    assert len(second["entries"]) == 1 and second["nextCursor"] is None
    assert len({entry["id"] for entry in first["entries"] + second["entries"]}) == 3
    # Only the person themselves: another individual's `me` shows their own inbox, never this one.
    other = await _page(api, individual(await _fresh_citizen(api, 4)), 5)
    assert all(entry["id"] not in {e["id"] for e in first["entries"]} for entry in other["entries"])


RECORD = """mutation($input: RecordTrafficViolationInput!) { recordTrafficViolation(input: $input) {
  __typename ... on TrafficViolationRecorded { violation { number status fineSar } } } }"""


async def test_a_new_violation_is_told_to_the_violator(api: Api) -> None:
    person_id = await _fresh_citizen(api, 6)
    input = {"personId": person_id, "kind": "SPEEDING", "cityEn": "Riyadh", "cityAr": "الرياض", "fineSar": 300}
    refused = await api.query(RECORD, {"input": input}, as_=individual(person_id))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # nobody records their own
    recorded = await api.query(RECORD, {"input": input}, as_=officer("traffic"))
    violation = recorded["data"]["recordTrafficViolation"]["violation"]
    assert (violation["status"], violation["fineSar"]) == ("UNPAID", 300)
    page = await _page(api, individual(person_id), 5)
    [notice] = [entry for entry in page["entries"] if entry["kind"] == "VIOLATION"]
    assert notice["sector"] == "traffic"
    assert violation["number"] in notice["messageEn"] and violation["number"] in notice["messageAr"]


async def test_a_refused_mutation_keeps_no_notice(api: Api) -> None:
    person_id = await deceased(api)
    before = await _inbox(api, person_id)
    result = await update_address(api, person_id, as_=officer("civil_affairs"))
    assert result["data"]["updateNationalAddress"]["code"] == "PERSON_DECEASED"
    assert await _inbox(api, person_id) == before


async def test_a_bad_cursor_or_page_size_has_a_stable_code(api: Api) -> None:
    me = individual(await _fresh_citizen(api, 5))
    for first, after, argument in ((0, None, "first"), (101, None, "first"), (5, "bm9wZQ==", "after")):
        result = await api.query(PAGE, {"first": first, "after": after}, as_=me)
        assert result["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}


async def test_expiry_reminders_are_kept_once_per_document_and_day(api: Api) -> None:
    hub = api.hub
    today = TODAY + dt.timedelta(days=3)  # a day no other test reminds as of
    expected = await due(hub.db, hub.sectors, today)
    assert {item.days for item in expected} == set(REMIND_DAYS), "the seed should have documents due on each day"
    assert {item.sector for item in expected} >= {"passports", "traffic"}
    bus = LocalBus()
    kept = await notify_expiries(hub.db, hub.sectors, bus, today)
    assert len(kept) == len(expected)
    again = await notify_expiries(hub.db, hub.sectors, bus, today)
    assert again == []
    one = kept[0]
    assert one.kind == "document_expiring" and one.message_en.startswith("Your ") and "تنتهي صلاحية" in one.message_ar
    page = await _page(api, individual(one.person_id), 100)
    assert str(one.id) in {entry["id"] for entry in page["entries"]}
