"""Who may read what: every caller against every part of a person, allowed and refused alike."""

from __future__ import annotations

import pytest

from hub.contract.principal import ANONYMOUS, Principal, Role
from tests.conftest import PERSONA, Api, individual, officer

PARTS = ("identity", "passports", "traffic", "civilAffairs", "civilDefence")
SECTORS = {
    "passports": "passports",
    "traffic": "traffic",
    "civilAffairs": "civil_affairs",
    "civilDefence": "civil_defence",
}
QUERY = """query($id: ID!) {
  person(id: $id) {
    nameEn
    passports { __typename }
    traffic { __typename }
    civilAffairs { __typename }
    civilDefence { __typename }
  }
}"""

EVERYTHING = frozenset(PARTS)
NOTHING: frozenset[str] = frozenset()

CALLERS: dict[str, Principal] = {
    "self": individual("absconding_worker"),
    "sponsor": individual("sponsor"),
    "guardian": individual("family_head"),
    "unrelated individual": individual("visitor"),
    **{f"{part} officer": officer(sector) for part, sector in SECTORS.items()},
    "analyst": Principal(Role.ANALYST, person_id="1000000008"),
    "anonymous": ANONYMOUS,
    "service (identity, traffic)": Principal(Role.SERVICE, client="insurer", scopes=frozenset({"identity", "traffic"})),
    "service (traffic only)": Principal(Role.SERVICE, client="insurer", scopes=frozenset({"traffic"})),
}

# What each caller may read of each subject, written out from the policy's rules (not computed by it).
EXPECTED: dict[tuple[str, str], frozenset[str]] = {}
for subject in ("absconding_worker", "minor_child"):
    for name in CALLERS:
        if name.endswith("officer"):
            part = name.removesuffix(" officer")
            EXPECTED[(name, subject)] = frozenset({"identity", part})
        elif name == "service (identity, traffic)":
            EXPECTED[(name, subject)] = frozenset({"identity", "traffic"})
        else:
            EXPECTED[(name, subject)] = NOTHING
EXPECTED[("self", "absconding_worker")] = EVERYTHING
EXPECTED[("sponsor", "absconding_worker")] = frozenset({"identity", "passports"})
EXPECTED[("guardian", "minor_child")] = EVERYTHING

CASES = sorted(EXPECTED)


def readable_parts(result: dict) -> frozenset[str]:
    person = result["data"]["person"]
    if person is None:
        return NOTHING
    return frozenset(part for part in PARTS if (person["nameEn"] if part == "identity" else person[part]) is not None)


@pytest.mark.parametrize(("caller", "subject"), CASES, ids=[f"{c} reads {s}" for c, s in CASES])
async def test_each_caller_reads_exactly_what_the_policy_allows(api: Api, caller: str, subject: str) -> None:
    result = await api.query(QUERY, {"id": PERSONA[subject]}, as_=CALLERS[caller])
    allowed = EXPECTED[(caller, subject)]
    assert readable_parts(result) == allowed
    refusals = [error for error in result.get("errors", [])]
    assert all(error["extensions"]["code"] == "FORBIDDEN" for error in refusals)
    if allowed == NOTHING:
        assert [error["path"] for error in refusals] == [["person"]]
    else:
        refused_paths = sorted(error["path"][-1] for error in refusals)
        assert refused_paths == sorted(set(PARTS) - allowed)


async def test_a_refused_sector_names_itself_in_the_error(api: Api) -> None:
    query = "query($id: ID!) { person(id: $id) { nameEn passports { iqama { status } } } }"
    result = await api.query(query, {"id": PERSONA["absconding_worker"]}, as_=officer("traffic"))
    assert [(e["extensions"], e["message"], e["path"]) for e in result["errors"]] == [
        (
            {"code": "FORBIDDEN", "sector": "passports"},
            "You may not read or change this person's passports data.",
            ["person", "passports"],
        )
    ]
