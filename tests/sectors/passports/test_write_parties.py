"""A passports write touches more than its worker: each consent to a transfer of sponsorship is
audited for the worker, the sponsor they leave and the new sponsor; an absconding report for the
worker and the sponsor it is filed in the name of. A refused one is audited for no other party."""

from __future__ import annotations

from tests.conftest import PERSONA, Api, individual, officer
from tests.sectors.parties import assert_each_sees_it, assert_none_sees_it, audited_writes, logs
from tests.sectors.passports.helpers import SPONSOR, allowed_worker, restored
from tests.sectors.passports.test_absconding import cancel, file
from tests.sectors.passports.test_transfer import NEW_SPONSOR, consent

TRANSFER, FILED, CANCELLED = "transferSponsorship", "fileAbscondingReport", "cancelAbscondingReport"
PASSPORTS = officer("passports")


async def test_each_consent_to_a_transfer_is_in_all_three_parties_logs(api: Api) -> None:
    async with restored(api):
        worker = await allowed_worker(api, "TRANSFER_SPONSORSHIP")
        people = [worker, SPONSOR, NEW_SPONSOR]
        for party, caller, capacities in (
            ("WORKER", worker, {worker: "self", SPONSOR: "party", NEW_SPONSOR: "party"}),
            ("NEW_SPONSOR", NEW_SPONSOR, {worker: "party", SPONSOR: "party", NEW_SPONSOR: "self"}),
            ("SPONSOR", SPONSOR, {worker: "sponsor", SPONSOR: "self", NEW_SPONSOR: "party"}),
        ):
            before = await logs(api, people, TRANSFER)
            answer = await consent(api, worker, party, individual(caller))
            assert answer["__typename"] == "SponsorshipTransferConsented", answer
            await assert_each_sees_it(api, before, TRANSFER, individual(caller).actor, capacities)
        assert answer["transfer"]["status"] == "DONE"


async def test_a_refused_transfer_is_audited_for_neither_sponsor(api: Api) -> None:
    async with restored(api):
        worker = await allowed_worker(api, "TRANSFER_SPONSORSHIP")
        await consent(api, worker, "WORKER", PASSPORTS)
        other = PERSONA["unpaid_violations"]
        before, writes = await logs(api, [SPONSOR, NEW_SPONSOR, other], TRANSFER), await audited_writes(api)
        refused = await consent(api, worker, "SPONSOR", PASSPORTS, new_sponsor=other)
        assert refused["code"] == "ANOTHER_TRANSFER_PENDING"
        await assert_none_sees_it(api, before, TRANSFER)
        assert await audited_writes(api) == writes


async def test_an_absconding_report_is_in_the_workers_and_the_sponsors_logs(api: Api) -> None:
    async with restored(api):
        worker = await allowed_worker(api, "FILE_ABSCONDING_REPORT")
        before = await logs(api, [worker, SPONSOR], FILED)
        filed = await file(api, worker)
        assert filed["__typename"] == "AbscondingReportFiled", filed
        await assert_each_sees_it(api, before, FILED, individual(SPONSOR).actor, {worker: "sponsor", SPONSOR: "self"})
        before = await logs(api, [worker, SPONSOR], CANCELLED)
        cancelled = await cancel(api, worker, PASSPORTS)  # an officer: in that capacity toward both
        assert cancelled["__typename"] == "AbscondingReportCancelled", cancelled
        await assert_each_sees_it(api, before, CANCELLED, PASSPORTS.actor, {worker: "officer", SPONSOR: "officer"})
        # Refused (reported once already): no write, so nothing in the sponsor's log.
        before, writes = await logs(api, [SPONSOR], FILED), await audited_writes(api)
        again = await file(api, worker, PASSPORTS)
        assert again["code"] == "ABSCONDING_ALREADY_REPORTED"
        await assert_none_sees_it(api, before, FILED)
        assert await audited_writes(api) == writes


async def test_an_absconding_report_an_officer_keys_in_is_in_the_sponsors_log(api: Api) -> None:
    async with restored(api):
        worker = await allowed_worker(api, "FILE_ABSCONDING_REPORT")
        before = await logs(api, [worker, SPONSOR], FILED)
        filed = await file(api, worker, PASSPORTS)  # in the sponsor's name
        assert filed["__typename"] == "AbscondingReportFiled", filed
        await assert_each_sees_it(api, before, FILED, PASSPORTS.actor, {worker: "officer", SPONSOR: "officer"})
