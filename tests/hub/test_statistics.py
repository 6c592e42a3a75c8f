"""Analysts get counts, never a person: counts are perturbed and rounded, small groups are absent
like empty ones, and the differencing attacks a caller who can file records would try fail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, text

from hub.api.operations import shipped_operations
from hub.api.statistics import BASE, SMALLEST_COUNT, SPREAD, published
from hub.contract.principal import Principal, Role
from sectors.civil_defence.models import IncidentReportRow
from sectors.civil_defence.types import IncidentKind
from tests.conftest import Api, individual, officer

STATISTICS = next(op.document for op in shipped_operations() if op.name == "Statistics")
ANALYST = Principal(Role.ANALYST, person_id="1000000008")
REPORT = """mutation($input: ReportIncidentInput!) { reportIncident(input: $input) {
  __typename ... on IncidentReported { report { reference } } } }"""


async def test_published_counts_are_multiples_of_five_from_ten_up_and_repeat_exactly(api: Api) -> None:
    first = await api.query(STATISTICS, as_=ANALYST)
    assert "errors" not in first
    statistics = first["data"]["statistics"]
    assert {s["sector"] for s in statistics} == {sector.name for sector in api.hub.sectors if sector.statistics}
    rows = [row for s in statistics for row in s["rows"]]
    assert rows and all(row["count"] % BASE == 0 and row["count"] >= SMALLEST_COUNT for row in rows)
    assert await api.query(STATISTICS, as_=ANALYST) == first  # no fresh noise to average away
    deprecated = await api.query("{ statistics { rows { suppressed } } }", as_=ANALYST)
    assert not any(row["suppressed"] for s in deprecated["data"]["statistics"] for row in s["rows"])


def test_a_published_count_stays_near_the_true_one_and_small_groups_are_left_out() -> None:
    key = b"k" * 32
    for count in range(0, 200):
        shown = published(key, "s", ["a"], count)
        if count < SMALLEST_COUNT:
            assert shown is None
        elif shown is not None:
            assert shown % BASE == 0 and abs(shown - count) <= SPREAD + BASE // 2
    assert len({published(key, "s", ["a"], 40 + k) for k in range(6)} | {None}) > 2
    assert {published(key, "s", [g], 50) for g in "abcdefghij"} != {50}  # not the plain rounding


async def test_officers_read_their_own_sectors_statistics_only(api: Api) -> None:
    own = await api.query(STATISTICS, as_=officer("traffic"))
    assert {s["sector"] for s in own["data"]["statistics"]} == {"traffic"}
    other = await api.query(STATISTICS, {"sector": "passports"}, as_=officer("traffic"))
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_one_sector_can_be_asked_for_and_an_unknown_one_is_bad_input(api: Api) -> None:
    one = await api.query(STATISTICS, {"sector": "passports"}, as_=ANALYST)
    assert {s["sector"] for s in one["data"]["statistics"]} == {"passports"}
    unknown = await api.query(STATISTICS, {"sector": "weather"}, as_=ANALYST)
    assert unknown["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert unknown["errors"][0]["message"] == "sector: one of passports, traffic, civil_affairs, civil_defence."


async def test_individuals_and_anonymous_callers_get_no_statistics(api: Api) -> None:
    for caller in (individual("sponsor"), None):
        result = await api.query(STATISTICS, as_=caller) if caller else await api.query(STATISTICS)
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert result["data"] is None


async def _true_counts(api: Api) -> dict[str, int]:
    async with api.hub.db.connect() as connection:
        rows = await connection.execute(
            text("SELECT kind, count(*) FROM civil_defence_incident_reports WHERE status = 'open' GROUP BY kind")
        )
        return {kind: int(count) for kind, count in rows}


async def _open_count_shown(api: Api, kind: str) -> int | None:
    result = await api.query(STATISTICS, {"sector": "civil_defence"}, as_=officer("civil_defence"))
    incidents = next(s for s in result["data"]["statistics"] if s["name"] == "incident_reports")
    return next((row["count"] for row in incidents["rows"] if row["group"] == [kind, "open"]), None)


def _could_show(count: int, shown: int | None) -> bool:
    """What the attacker knows of the publication rule, without the key."""
    if shown is None:
        return count < SMALLEST_COUNT + SPREAD + BASE // 2
    return count >= SMALLEST_COUNT and shown % BASE == 0 and abs(shown - count) <= SPREAD + BASE // 2


async def test_filing_known_reports_into_a_withheld_group_does_not_reveal_it(api: Api) -> None:
    """The attack: a caller who may file reports adds them one at a time to a group too small to
    be listed, until it is, and subtracts what they filed. Every hidden count from 0 to 9 stays
    consistent with what they saw."""
    true = await _true_counts(api)
    kind = next(k.value for k in IncidentKind if true.get(k.value, 0) < SMALLEST_COUNT)
    hidden = true.get(kind, 0)
    assert await _open_count_shown(api, kind) is None  # small and empty look alike
    async with api.hub.db.connect() as connection:
        filers = list(
            (
                await connection.execute(text("SELECT id FROM identity_people WHERE id LIKE '1%' ORDER BY id LIMIT 40"))
            ).scalars()
        )
    observations: list[tuple[int, int | None]] = []
    filed: list[str] = []
    try:
        for filer in filers[:20]:
            incident: dict[str, Any] = {
                "personId": filer,
                "kind": IncidentKind(kind).name,
                "city": "Riyadh",
                "district": "Al Malaz",
                "description": "Test fire.",
            }
            answer = await api.query(REPORT, {"input": incident}, as_=officer("civil_defence"))
            assert "data" in answer, answer
            filed.append(answer["data"]["reportIncident"]["report"]["reference"])
            shown = await _open_count_shown(api, kind)
            observations.append((len(filed), shown))
            if shown is not None:
                break
    finally:
        async with api.hub.db.connect() as connection:
            await connection.execute(delete(IncidentReportRow).where(IncidentReportRow.reference.in_(filed)))
            await connection.commit()
    assert observations[-1][1] is not None, "the group was published once enough reports were filed"
    candidates = {h for h in range(SMALLEST_COUNT) if all(_could_show(h + k, shown) for k, shown in observations)}
    assert hidden in candidates
    assert len(candidates) > 1, f"the attack recovered the hidden count from {observations}"
