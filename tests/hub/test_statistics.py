"""Analysts get counts, never a person: small counts are withheld, and individuals get nothing."""

from __future__ import annotations

from hub.api.operations import shipped_operations
from hub.contract.principal import Principal, Role
from tests.conftest import Api, individual

STATISTICS = next(op.document for op in shipped_operations() if op.name == "Statistics")
ANALYST = Principal(Role.ANALYST, person_id="1000000008")


async def test_an_analyst_reads_every_sectors_statistics_with_small_counts_withheld(api: Api) -> None:
    result = await api.query(STATISTICS, as_=ANALYST)
    assert "errors" not in result
    statistics = result["data"]["statistics"]
    assert {s["sector"] for s in statistics} == {"passports", "traffic", "civil_affairs", "civil_defence"}
    rows = [row for s in statistics for row in s["rows"]]
    assert any(row["suppressed"] for row in rows), "a 1,500-person demo has some groups under 10"
    assert all((row["count"] is None) if row["suppressed"] else row["count"] >= 10 for row in rows)
    for statistic in statistics:
        assert all(len(row["group"]) == len(statistic["dimensions"]) for row in statistic["rows"])


async def test_one_sector_can_be_asked_for_and_an_unknown_one_is_bad_input(api: Api) -> None:
    one = await api.query(STATISTICS, {"sector": "passports"}, as_=ANALYST)
    assert {s["sector"] for s in one["data"]["statistics"]} == {"passports"}
    unknown = await api.query(STATISTICS, {"sector": "weather"}, as_=ANALYST)
    assert unknown["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_individuals_and_anonymous_callers_get_no_statistics(api: Api) -> None:
    for caller in (individual("sponsor"), None):
        result = await api.query(STATISTICS, as_=caller) if caller else await api.query(STATISTICS)
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert result["data"] is None
