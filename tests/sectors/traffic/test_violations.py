"""`recordTrafficViolation` and `payTrafficViolation`, and the objection rules `test_traffic.py` leaves
open (the window's last day, the reason's and the number's edges, the violator's notice). Each test
puts back the violations and notices of the people it writes for (`kept`)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from sqlalchemy import insert, select

from hub.contract.national_id import with_check_digit
from hub.contract.principal import Principal, Role
from hub.identity.models import PersonRow
from hub.notifications.models import NotificationRow
from sectors.traffic.models import DrivingLicenceRow, ViolationRow
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.asking import days, kept

VIOLATION = """violation { number kind cityEn cityAr fineSar status committedOn { gregorian } dueOn { gregorian }
  objectedOn { gregorian } objectionReason vehicleSequenceNumber }"""
RECORD = f"""mutation($input: RecordTrafficViolationInput!) {{ recordTrafficViolation(input: $input) {{
  __typename ... on TrafficViolationRecorded {{ {VIOLATION} }} ... on Refusal {{ code }} }} }}"""
PAY = f"""mutation($input: PayTrafficViolationInput!) {{ payTrafficViolation(input: $input) {{
  __typename ... on TrafficViolationPaid {{ {VIOLATION} }} ... on Refusal {{ code message messageAr }} }} }}"""
OBJECT = f"""mutation($input: ObjectToTrafficViolationInput!) {{ objectToTrafficViolation(input: $input) {{
  __typename ... on TrafficViolationObjected {{ {VIOLATION} }} ... on Refusal {{ code message messageAr }} }} }}"""

TRAFFIC = officer("traffic")
CAMERA = Principal(Role.SERVICE, client="speed-camera", scopes=frozenset({"traffic", "traffic:write"}))
READER = Principal(Role.SERVICE, client="insurer", scopes=frozenset({"traffic"}))
NUMBER = re.compile(r"9[0-9]{9}")


async def drivers(api: Api, first: int, count: int = 1) -> list[str]:
    """Citizens holding a driving licence, not personas: each test takes its own, so that the notices
    and violations it expects are only its own."""
    rows = await api.hub.db.fetch(
        select(DrivingLicenceRow.person_id)
        .where(DrivingLicenceRow.person_id.like("1%"), DrivingLicenceRow.person_id.not_in(list(PERSONA.values())))
        .order_by(DrivingLicenceRow.person_id)
        .offset(first)
        .limit(count)
    )
    assert len(rows) == count, "the seed should have enough licensed citizens"
    return [str(row[0]) for row in rows]


async def free_numbers(api: Api, count: int) -> list[str]:
    """Violation numbers the seed did not issue (starting with 8: recorded ones start with 9)."""
    numbers = [f"8{index:09d}" for index in range(1, count + 1)]
    taken = await api.hub.db.fetch(select(ViolationRow.number).where(ViolationRow.number.in_(numbers)))
    assert taken == [], taken
    return numbers


def a_violation(person_id: str, number: str, *, committed: int = -2, status: str = "unpaid") -> Any:
    return insert(ViolationRow).values(
        number=number,
        person_id=person_id,
        kind="parking",
        city_en="Jeddah",
        city_ar="جدة",
        committed_on=days(committed),
        fine_sar=150,
        due_on=days(committed + 30),
        status=status,
    )


async def put(api: Api, *statements: Any) -> None:
    async with api.hub.db.connect() as connection:
        for statement in statements:
            await connection.execute(statement)
        await connection.commit()


async def violations_of(api: Api, person_id: str) -> dict[str, dict[str, Any]]:
    rows = await api.hub.db.fetch(select(ViolationRow.__table__).where(ViolationRow.person_id == person_id))
    return {row._mapping["number"]: dict(row._mapping) for row in rows}


async def notices(api: Api, person_id: str) -> list[tuple[Any, ...]]:
    """The person's traffic notices (other sectors' tests may have told the same person things)."""
    rows = await api.hub.db.fetch(
        select(NotificationRow.sector, NotificationRow.kind, NotificationRow.message_en, NotificationRow.message_ar)
        .where(NotificationRow.person_id == person_id, NotificationRow.sector == "traffic")
        .order_by(NotificationRow.id)
    )
    return [tuple(row) for row in rows]


async def written(api: Api, person_id: str) -> tuple[Any, ...]:
    """Everything these mutations write: every violation, and the person's notices."""
    rows = await api.hub.db.fetch(select(ViolationRow.__table__).order_by(ViolationRow.number))
    return [tuple(row) for row in rows], await notices(api, person_id)


def record_input(person_id: str, **given: Any) -> dict[str, Any]:
    return {"personId": person_id, "kind": "RED_LIGHT", "cityEn": "Riyadh", "cityAr": "الرياض", "fineSar": 500} | given


async def record(api: Api, input: dict[str, Any], as_: Principal = TRAFFIC) -> dict[str, Any]:
    return await api.query(RECORD, {"input": input}, as_=as_)


def recorded(result: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in result, result["errors"]
    answer = result["data"]["recordTrafficViolation"]
    assert answer["__typename"] == "TrafficViolationRecorded", answer
    return answer["violation"]  # type: ignore[no-any-return]


def error_of(result: dict[str, Any]) -> tuple[str, str | None, str]:
    """The one error's code, argument and message."""
    [error] = result["errors"]
    return error["extensions"]["code"], error["extensions"].get("argument"), error["message"]


async def pay(api: Api, person_id: str, number: str, as_: Principal, key: str | None = None) -> dict[str, Any]:
    input = {"personId": person_id, "violationNumber": number, "idempotencyKey": key}
    return await api.query(PAY, {"input": input}, as_=as_)


async def object_to(
    api: Api, person_id: str, number: str, reason: str = "Not me.", as_: Principal = TRAFFIC, key: str | None = None
) -> dict[str, Any]:
    input = {"personId": person_id, "violationNumber": number, "reason": reason, "idempotencyKey": key}
    return await api.query(OBJECT, {"input": input}, as_=as_)


def answered(result: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in result, result["errors"]
    return result["data"][field]  # type: ignore[no-any-return]


def shown(row: dict[str, Any], **changed: Any) -> dict[str, Any]:
    """A stored violation as the API shows it."""
    row = row | changed
    return {
        "number": row["number"],
        "kind": row["kind"].upper(),
        "cityEn": row["city_en"],
        "cityAr": row["city_ar"],
        "fineSar": row["fine_sar"],
        "status": row["status"].upper(),
        "committedOn": {"gregorian": row["committed_on"].isoformat()},
        "dueOn": {"gregorian": row["due_on"].isoformat()},
        "objectedOn": {"gregorian": row["objected_on"].isoformat()} if row["objected_on"] else None,
        "objectionReason": row["objection_reason"],
        "vehicleSequenceNumber": row["vehicle_sequence_number"],
    }


def recorded_notice(number: str, city_en: str, city_ar: str, fine: int) -> tuple[str, str, str, str]:
    due = (TODAY + dt.timedelta(days=30)).isoformat()
    return (
        "traffic",
        "violation",
        f"A traffic violation {number} was recorded against you in {city_en}: {fine} SAR, due by {due}.",
        f"سُجلت عليك مخالفة مرورية رقم {number} في {city_ar}: {fine} ريال، تستحق قبل {due}.",
    )


# Recording


async def test_an_officer_records_an_unpaid_violation_due_in_30_days_and_the_violator_is_told(api: Api) -> None:
    [person] = await drivers(api, 0)
    async with kept(api, person, ViolationRow, NotificationRow):
        before = await violations_of(api, person)
        input = record_input(person, kind="SPEEDING", cityEn="  Al   Khobar ", cityAr=" الخبر\t الشمالية ", fineSar=1)
        violation = recorded(await record(api, input))
        number = violation["number"]
        assert NUMBER.fullmatch(number), number
        assert violation == {
            "number": number,
            "kind": "SPEEDING",
            "cityEn": "Al Khobar",
            "cityAr": "الخبر الشمالية",
            "fineSar": 1,
            "status": "UNPAID",
            "committedOn": {"gregorian": TODAY.isoformat()},
            "dueOn": {"gregorian": (TODAY + dt.timedelta(days=30)).isoformat()},
            "objectedOn": None,
            "objectionReason": None,
            "vehicleSequenceNumber": None,
        }
        after = await violations_of(api, person)
        assert after.keys() - before.keys() == {number}
        assert after[number] == {
            "number": number,
            "person_id": person,
            "kind": "speeding",
            "city_en": "Al Khobar",
            "city_ar": "الخبر الشمالية",
            "committed_on": TODAY,
            "fine_sar": 1,
            "due_on": TODAY + dt.timedelta(days=30),
            "status": "unpaid",
            "objected_on": None,
            "objection_reason": None,
            "vehicle_sequence_number": None,
        }
        assert await notices(api, person) == [recorded_notice(number, "Al Khobar", "الخبر الشمالية", 1)]


async def test_a_service_scoped_traffic_write_records_and_one_scoped_to_read_may_not(api: Api) -> None:
    [person] = await drivers(api, 1)
    async with kept(api, person, ViolationRow, NotificationRow):
        before = await written(api, person)
        assert error_of(await record(api, record_input(person), as_=READER))[0] == "FORBIDDEN"
        assert await written(api, person) == before
        violation = recorded(await record(api, record_input(person), as_=CAMERA))
        assert (violation["status"], violation["fineSar"], violation["kind"]) == ("UNPAID", 500, "RED_LIGHT")
        assert (await violations_of(api, person))[violation["number"]]["person_id"] == person
        assert await notices(api, person) == [recorded_notice(violation["number"], "Riyadh", "الرياض", 500)]


async def test_nobody_records_their_own_nor_another_individual_nor_another_sectors_officer(api: Api) -> None:
    [person] = await drivers(api, 2)
    async with kept(api, person, ViolationRow, NotificationRow):
        before = await written(api, person)
        for caller in (individual(person), individual("family_head"), officer("passports")):
            code, _, message = error_of(await record(api, record_input(person), as_=caller))
            assert (code, message) == ("FORBIDDEN", "You may not read or change this person's traffic data."), caller
        assert await written(api, person) == before


async def test_fines_of_1_and_20000_are_recorded_and_0_and_20001_refused(api: Api) -> None:
    [person] = await drivers(api, 3)
    async with kept(api, person, ViolationRow, NotificationRow):
        for fine in (0, 20_001, -1):
            before = await written(api, person)
            result = await record(api, record_input(person, fineSar=fine))
            assert error_of(result) == ("BAD_USER_INPUT", "input.fineSar", "input.fineSar: 1 to 20,000."), fine
            assert await written(api, person) == before
        for fine in (1, 20_000):
            violation = recorded(await record(api, record_input(person, fineSar=fine)))
            assert violation["fineSar"] == fine
            assert (await violations_of(api, person))[violation["number"]]["fine_sar"] == fine


async def test_a_city_is_1_to_30_characters_after_collapsing_whitespace_in_either_language(api: Api) -> None:
    [person] = await drivers(api, 4)
    # 30 characters once the run of spaces is one; 32 as sent.
    spaced_en, spaced_ar = "A" * 14 + "   " + "B" * 15, "م" * 14 + " \t " + "ن" * 15
    async with kept(api, person, ViolationRow, NotificationRow):
        for field, argument, long in (("cityEn", "input.cityEn", "x" * 31), ("cityAr", "input.cityAr", "ع" * 31)):
            for bad in ("", "   ", long):
                before = await written(api, person)
                result = await record(api, record_input(person, **{field: bad}))
                assert error_of(result) == ("BAD_USER_INPUT", argument, f"{argument}: 1 to 30 characters."), bad
                assert await written(api, person) == before
        cases = [("R", "ر"), ("x" * 30, "ع" * 30), (spaced_en, spaced_ar)]
        for city_en, city_ar in cases:
            violation = recorded(await record(api, record_input(person, cityEn=city_en, cityAr=city_ar)))
            expected = (" ".join(city_en.split()), " ".join(city_ar.split()))
            assert (violation["cityEn"], violation["cityAr"]) == expected
            row = (await violations_of(api, person))[violation["number"]]
            assert (row["city_en"], row["city_ar"]) == expected
            assert NUMBER.fullmatch(violation["number"]), violation["number"]


async def test_a_violation_against_an_unknown_or_invalid_id_is_refused(api: Api) -> None:
    known = {str(row[0]) for row in await api.hub.db.fetch(select(PersonRow.id).where(PersonRow.id.like("19999%")))}
    unknown = next(
        candidate for candidate in (with_check_digit(f"19999{n:04d}") for n in range(10_000)) if candidate not in known
    )
    before = await written(api, unknown)
    code, argument, _ = error_of(await record(api, record_input(unknown)))
    assert (code, argument) == ("NOT_FOUND", "personId")
    invalid = unknown[:-1] + str((int(unknown[-1]) + 1) % 10)
    code, argument, _ = error_of(await record(api, record_input(invalid)))
    assert (code, argument) == ("INVALID_ID", "input.personId")
    assert await written(api, unknown) == before


async def test_recording_again_with_the_same_key_records_once(api: Api) -> None:
    [person] = await drivers(api, 5)
    async with kept(api, person, ViolationRow, NotificationRow):
        before = await violations_of(api, person)
        input = record_input(person, idempotencyKey=str(uuid.uuid4()))
        first = await record(api, input)
        assert await record(api, input) == first
        assert (await violations_of(api, person)).keys() - before.keys() == {recorded(first)["number"]}
        assert len(await notices(api, person)) == 1


# Paying


def paid_notice(number: str) -> tuple[str, str, str, str]:
    return (
        "traffic",
        "service_completed",
        f"The fine of violation {number} was paid.",
        f"سُددت غرامة المخالفة رقم {number}.",
    )


async def test_the_violator_or_a_traffic_officer_pays_and_only_that_violation_becomes_paid(api: Api) -> None:
    [person] = await drivers(api, 6)
    mine, officers, other = await free_numbers(api, 3)
    async with kept(api, person, ViolationRow, NotificationRow):
        await put(api, *(a_violation(person, number) for number in (mine, officers, other)))
        stored = await violations_of(api, person)
        for number, caller in ((mine, individual(person)), (officers, TRAFFIC)):
            answer = answered(await pay(api, person, number, caller), "payTrafficViolation")
            assert answer == {"__typename": "TrafficViolationPaid", "violation": shown(stored[number], status="paid")}
        after = await violations_of(api, person)
        assert after == stored | {
            mine: stored[mine] | {"status": "paid"},
            officers: stored[officers] | {"status": "paid"},
        }
        assert await notices(api, person) == [paid_notice(mine), paid_notice(officers)]


async def test_paying_again_with_the_same_key_answers_the_first_payment(api: Api) -> None:
    [person] = await drivers(api, 7)
    [number] = await free_numbers(api, 1)
    async with kept(api, person, ViolationRow, NotificationRow):
        await put(api, a_violation(person, number))
        key = str(uuid.uuid4())
        first = await pay(api, person, number, individual(person), key)
        assert answered(first, "payTrafficViolation")["violation"]["status"] == "PAID"
        assert await pay(api, person, number, individual(person), key) == first
        assert await notices(api, person) == [paid_notice(number)]


async def test_a_payment_is_refused_with_its_code_and_writes_nothing(api: Api) -> None:
    person, stranger = await drivers(api, 8, 2)
    paid, objected, strangers = await free_numbers(api, 3)
    async with kept(api, person, ViolationRow, NotificationRow), kept(api, stranger, ViolationRow, NotificationRow):
        await put(
            api,
            a_violation(person, paid, status="paid"),
            a_violation(person, objected, status="objected"),
            a_violation(stranger, strangers),
        )
        cases = [
            (strangers, "VIOLATION_NOT_FOUND"),  # someone else's: not found, so its existence is not told
            ("9999999999", "VIOLATION_NOT_FOUND"),
            (paid, "VIOLATION_NOT_UNPAID"),
            (objected, "VIOLATION_NOT_UNPAID"),
        ]
        for number, code in cases:
            for caller in (individual(person), TRAFFIC):
                before = await written(api, person), await notices(api, stranger)
                refused = answered(await pay(api, person, number, caller), "payTrafficViolation")
                assert (refused["__typename"], refused["code"]) == ("Refusal", code), (number, caller)
                assert refused["message"] and refused["messageAr"]
                assert (await written(api, person), await notices(api, stranger)) == before


async def test_nobody_else_may_pay_the_violators_fine_not_even_their_guardian(api: Api) -> None:
    [person] = await drivers(api, 10)
    minor = PERSONA["minor_child"]
    mine, minors = await free_numbers(api, 2)
    cases = [
        (person, mine, (individual("family_head"), officer("passports"), READER)),
        (minor, minors, (individual("family_head"),)),  # the guardian may see the minor's records, not pay for them
    ]
    async with kept(api, person, ViolationRow, NotificationRow), kept(api, minor, ViolationRow, NotificationRow):
        await put(api, a_violation(person, mine), a_violation(minor, minors))
        for violator, number, callers in cases:
            before = await written(api, violator)
            for caller in callers:
                code, _, _ = error_of(await pay(api, violator, number, caller))
                assert code == "FORBIDDEN", caller
            assert await written(api, violator) == before


async def test_a_payment_with_a_malformed_number_or_id_is_refused(api: Api) -> None:
    [person] = await drivers(api, 11)
    [number] = await free_numbers(api, 1)
    async with kept(api, person, ViolationRow, NotificationRow):
        await put(api, a_violation(person, number))
        before = await written(api, person)
        for bad in ("12-34", "1" * 11, "８" * 10, ""):
            result = await pay(api, person, bad, individual(person))
            assert error_of(result) == (
                "BAD_USER_INPUT",
                "input.violationNumber",
                "input.violationNumber: up to 10 digits.",
            )
        invalid = person[:-1] + str((int(person[-1]) + 1) % 10)
        assert error_of(await pay(api, invalid, number, TRAFFIC))[:2] == ("INVALID_ID", "input.personId")
        assert await written(api, person) == before


# Objecting: what tests/sectors/traffic/test_traffic.py does not already pin down


def objected_notice(number: str) -> tuple[str, str, str, str]:
    return (
        "traffic",
        "service_completed",
        f"Your objection to violation {number} was filed; the violation is on hold while it is reviewed.",
        f"قُدّم اعتراضك على المخالفة رقم {number}؛ المخالفة معلقة حتى تتم دراسته.",
    )


async def test_an_objection_is_filed_on_the_30th_day_and_refused_on_the_31st(api: Api) -> None:
    [person] = await drivers(api, 12)
    last_day, too_late = await free_numbers(api, 2)
    async with kept(api, person, ViolationRow, NotificationRow):
        await put(api, a_violation(person, last_day, committed=-30), a_violation(person, too_late, committed=-31))
        stored = await violations_of(api, person)
        before = await written(api, person)
        refused = answered(await object_to(api, person, too_late, as_=individual(person)), "objectToTrafficViolation")
        assert (refused["__typename"], refused["code"]) == ("Refusal", "OBJECTION_WINDOW_CLOSED")
        assert await written(api, person) == before
        answer = answered(await object_to(api, person, last_day, as_=individual(person)), "objectToTrafficViolation")
        changes = {"status": "objected", "objected_on": TODAY, "objection_reason": "Not me."}
        assert answer == {"__typename": "TrafficViolationObjected", "violation": shown(stored[last_day], **changes)}
        assert await violations_of(api, person) == stored | {last_day: stored[last_day] | changes}
        assert await notices(api, person) == [objected_notice(last_day)]


async def test_a_reason_of_1_or_500_characters_is_kept_and_longer_is_refused_by_name(api: Api) -> None:
    [person] = await drivers(api, 13)
    short, long, untouched = await free_numbers(api, 3)
    async with kept(api, person, ViolationRow, NotificationRow):
        await put(api, *(a_violation(person, number) for number in (short, long, untouched)))
        before = await written(api, person)
        for reason in ("x" * 501, " \t "):
            result = await object_to(api, person, untouched, reason=reason)
            assert error_of(result) == ("BAD_USER_INPUT", "input.reason", "input.reason: 1 to 500 characters.")
        assert await written(api, person) == before
        for number, reason, kept_as in ((short, "  x  ", "x"), (long, "y" * 500, "y" * 500)):
            answer = answered(await object_to(api, person, number, reason=reason), "objectToTrafficViolation")
            assert answer["violation"]["objectionReason"] == kept_as
            assert (await violations_of(api, person))[number]["objection_reason"] == kept_as
        assert (await violations_of(api, person))[untouched]["status"] == "unpaid"


async def test_a_violation_number_is_up_to_10_digits_arabic_ones_too(api: Api) -> None:
    [person] = await drivers(api, 14)
    [number] = await free_numbers(api, 1)
    arabic = number.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    async with kept(api, person, ViolationRow, NotificationRow):
        await put(api, a_violation(person, number))
        before = await written(api, person)
        for bad in ("1" * 11, "８" * 10, "12 34"):
            result = await object_to(api, person, bad)
            assert error_of(result) == (
                "BAD_USER_INPUT",
                "input.violationNumber",
                "input.violationNumber: up to 10 digits.",
            )
        assert await written(api, person) == before
        answer = answered(await object_to(api, person, f"  {arabic} "), "objectToTrafficViolation")
        assert (answer["violation"]["number"], answer["violation"]["status"]) == (number, "OBJECTED")


async def test_objecting_again_with_the_same_key_answers_the_first_objection(api: Api) -> None:
    [person] = await drivers(api, 15)
    [number] = await free_numbers(api, 1)
    async with kept(api, person, ViolationRow, NotificationRow):
        await put(api, a_violation(person, number))
        key = str(uuid.uuid4())
        first = await object_to(api, person, number, as_=individual(person), key=key)
        assert answered(first, "objectToTrafficViolation")["violation"]["status"] == "OBJECTED"
        assert await object_to(api, person, number, as_=individual(person), key=key) == first
        assert await notices(api, person) == [objected_notice(number)]
