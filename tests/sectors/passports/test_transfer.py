"""Transfer of sponsorship over HTTP: the worker, the sponsor and the new sponsor each consent;
with the third consent the iqama names the new sponsor and access follows at once."""

from __future__ import annotations

from typing import Any

from hub.contract.principal import Principal
from tests.conftest import PERSONA, Api, individual, officer
from tests.sectors.passports.helpers import SPONSOR, allowed_worker, blockers, mutate, restored
from tests.services.tables import changed, every_row

CONSENTED = """... on SponsorshipTransferConsented { transfer {
  reference status workerConsentedOn { gregorian } sponsorConsentedOn { gregorian }
  newSponsorConsentedOn { gregorian } doneOn { gregorian } fromSponsor { id } toSponsor { id } } }"""
IQAMA = "query($id: ID!) { person(id: $id) { passports { iqama { sponsor { id } } } } }"
NEW_SPONSOR = PERSONA["family_head"]
LOG = "{ me { accessLog(first: 5, includeOwn: true) { entries { actingAs sector fields } } } }"


async def consent(
    api: Api, worker: str, party: str, caller: Principal, new_sponsor: str = NEW_SPONSOR
) -> dict[str, Any]:
    return await mutate(  # type: ignore[no-any-return]
        api,
        "transferSponsorship",
        "TransferSponsorshipInput",
        CONSENTED,
        {"personId": worker, "newSponsorId": new_sponsor, "party": party},
        caller,
    )


async def test_with_all_three_consents_the_worker_moves_and_access_follows(api: Api) -> None:
    async with restored(api):
        worker = await allowed_worker(api, "TRANSFER_SPONSORSHIP")
        first = await consent(api, worker, "NEW_SPONSOR", individual(NEW_SPONSOR))
        assert first["transfer"]["status"] == "PENDING", first
        log = await api.query(LOG, as_=individual(NEW_SPONSOR))  # consented in their own right: audited so
        assert {"actingAs": "self", "sector": "passports", "fields": ["transferSponsorship"]} in log["data"]["me"][
            "accessLog"
        ]["entries"]
        # Before it is done, the new sponsor reads nothing of the worker's.
        early = await api.query(IQAMA, {"id": worker}, as_=individual(NEW_SPONSOR))
        assert early["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert "TRANSFER_PENDING" in await blockers(api, "FILE_ABSCONDING_REPORT", worker, individual(SPONSOR))
        second = await consent(api, worker, "WORKER", individual(worker))
        assert second["transfer"]["status"] == "PENDING"
        done = await consent(api, worker, "SPONSOR", individual(SPONSOR))
        transfer = done["transfer"]
        assert transfer["status"] == "DONE" and transfer["doneOn"] is not None
        assert transfer["reference"] == first["transfer"]["reference"]
        assert transfer["fromSponsor"] == {"id": SPONSOR} and transfer["toSponsor"] == {"id": NEW_SPONSOR}
        now = await api.query(IQAMA, {"id": worker}, as_=individual(NEW_SPONSOR))
        assert now["data"]["person"]["passports"]["iqama"]["sponsor"] == {"id": NEW_SPONSOR}
        gone = await api.query(IQAMA, {"id": worker}, as_=individual(SPONSOR))
        assert gone["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_consent_is_given_only_in_ones_own_capacity(api: Api) -> None:
    worker = await allowed_worker(api, "TRANSFER_SPONSORSHIP")
    before = await every_row(api)
    for party, caller in (
        ("WORKER", individual(SPONSOR)),
        ("SPONSOR", individual(worker)),
        ("SPONSOR", individual(NEW_SPONSOR)),
        ("NEW_SPONSOR", individual(SPONSOR)),
        ("NEW_SPONSOR", officer("traffic")),
    ):
        answer = await consent(api, worker, party, caller)
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN", (party, caller)
    assert changed(before, await every_row(api)) == []


async def test_transfers_refused_write_nothing(api: Api) -> None:
    worker = await allowed_worker(api, "TRANSFER_SPONSORSHIP")
    passports = officer("passports")
    async with restored(api):
        before = await every_row(api)
        same = await consent(api, worker, "SPONSOR", passports, new_sponsor=SPONSOR)
        assert same["code"] == "SAME_SPONSOR"
        absconded = await consent(api, PERSONA["absconding_worker"], "SPONSOR", passports)
        assert [b["code"] for b in absconded["blockers"]] == ["ABSCONDING_REPORT_OPEN"]
        assert changed(before, await every_row(api)) == []
        await consent(api, worker, "WORKER", passports)
        before = await every_row(api)
        other = await consent(api, worker, "SPONSOR", passports, new_sponsor=PERSONA["unpaid_violations"])
        assert other["code"] == "ANOTHER_TRANSFER_PENDING"
        assert changed(before, await every_row(api)) == []
