"""The headline: one query answers a person's names, iqama, visas and reports across sectors."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Coroutine
from contextvars import ContextVar
from typing import Any

from sqlalchemy import text

from hub.api.operations import shipped_operations
from tests.conftest import PERSONA, TODAY, Api, individual, officer

HEADLINE = next(op.document for op in shipped_operations() if op.name == "PersonStatus")
PEOPLE = next(op.document for op in shipped_operations() if op.name == "PeopleStatus")


async def test_the_headline_query_answers_visa_iqama_and_reports_for_a_resident(api: Api) -> None:
    result = await api.query(HEADLINE, {"id": PERSONA["absconding_worker"]}, as_=individual("absconding_worker"))

    assert "errors" not in result
    person = result["data"]["person"]
    assert person["id"] == PERSONA["absconding_worker"]
    assert person["kind"] == "RESIDENT"
    assert person["nameEn"] and person["nameAr"]
    iqama = person["passports"]["iqama"]
    assert iqama["status"] == "VALID"
    expires = dt.date.fromisoformat(iqama["expiresOn"]["gregorian"])
    assert (expires.year, expires.month) == (TODAY.year, TODAY.month)
    assert iqama["expiresOn"]["hijri"].startswith("14")
    assert person["passports"]["visas"], "a resident entered on a work visa"
    assert [report["status"] for report in person["passports"]["abscondingReports"]] == ["OPEN"]
    assert isinstance(person["traffic"]["accidentReports"], list)
    assert isinstance(person["civilDefence"]["incidentReports"], list)


async def test_the_headline_query_runs_in_a_handful_of_tasks(api: Api) -> None:
    """graphql-core starts a task for every field awaited beside a sibling (11 tasks on PostgreSQL
    with it, 9 on SQLite), aiodataloader two for every batch. The hub awaits an object's fields in
    turn (`hub.api.execution.FieldsInTurn`) and sends the batches queued together from one task."""
    asked, caller = {"id": PERSONA["absconding_worker"]}, individual("absconding_worker")
    await api.query(HEADLINE, asked, as_=caller)  # the token verified, the document parsed
    loop = asyncio.get_running_loop()
    default, started = loop.get_task_factory(), 0

    # Only the request's own tasks: they inherit this context, the hub's background rounds (the
    # audit indexer, the relay, the revocation feed) run in theirs and may start tasks meanwhile.
    ours: ContextVar[bool] = ContextVar("the_counted_request", default=False)

    def counting(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **options: Any) -> asyncio.Task[Any]:
        nonlocal started
        started += ours.get()
        return asyncio.Task(coro, loop=loop, **options)

    loop.set_task_factory(counting)  # type: ignore[arg-type]
    marked = ours.set(True)
    try:
        result = await api.query(HEADLINE, asked, as_=caller)
    finally:
        ours.reset(marked)
        loop.set_task_factory(default)
    assert "errors" not in result
    assert started <= 5, f"{started} tasks for one headline request"  # 3 on SQLite, 5 on PostgreSQL (pool)


async def test_eastern_arabic_digits_find_the_same_person(api: Api) -> None:
    arabic = PERSONA["sponsor"].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    result = await api.query("query($id: ID!) { person(id: $id) { id } }", {"id": arabic}, as_=officer("passports"))
    assert result == {"data": {"person": {"id": PERSONA["sponsor"]}}}


async def test_a_malformed_id_is_invalid_id_and_never_reaches_the_database(api: Api) -> None:
    counter = api.count_statements()
    try:
        result = await api.query('{ person(id: "1000000000") { id } }', as_=officer("passports"))
    finally:
        api.stop_counting(counter)
    assert result["errors"][0]["extensions"]["code"] == "INVALID_ID"
    assert result["errors"][0]["path"] == ["person"]
    assert result["data"] == {"person": None}
    statements = [s for s in counter.statements if "audit_" not in s]
    assert statements == []


async def test_a_valid_but_unknown_id_is_null_without_error(api: Api) -> None:
    result = await api.query('{ person(id: "1000000008") { id } }', as_=officer("traffic"))
    assert result == {"data": {"person": None}}


async def test_an_anonymous_caller_sees_no_personal_data(api: Api) -> None:
    result = await api.query(HEADLINE, {"id": PERSONA["sponsor"]})
    assert result["data"] == {"person": None}
    assert [error["extensions"]["code"] for error in result["errors"]] == ["FORBIDDEN"]


async def test_more_than_one_hundred_ids_is_a_clear_error(api: Api) -> None:
    ids = [PERSONA["sponsor"]] * 101
    result = await api.query(PEOPLE, {"ids": ids}, as_=officer("passports"))
    assert result["errors"][0]["extensions"]["code"] == "TOO_MANY_IDS"
    assert result["data"] is None  # people is a non-null list: its error nulls the whole answer


async def _statements_for(api: Api, ids: list[str]) -> int:
    counter = api.count_statements()
    try:
        result = await api.query(PEOPLE, {"ids": ids}, as_=officer("passports"))
    finally:
        api.stop_counting(counter)
    assert "errors" not in result
    assert len(result["data"]["people"]) == len(ids)
    assert all(person is not None for person in result["data"]["people"])
    return counter.count


async def test_one_hundred_people_cost_the_same_sql_statements_as_one(api: Api) -> None:
    residents = await api.hub.db.fetch(text("SELECT person_id FROM passports_iqamas ORDER BY person_id LIMIT 100"))
    ids = [row[0] for row in residents]
    assert len(ids) == 100
    one = await _statements_for(api, ids[:1])
    hundred = await _statements_for(api, ids)
    print(f"{api.backend}: SQL statements for 1 person: {one}, for 100 people: {hundred}")
    assert one == hundred
    assert one <= 8
