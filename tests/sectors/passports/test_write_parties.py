"""A passports write touches more than its worker: each consent to a transfer of sponsorship is
audited for the worker, the sponsor they leave and the new sponsor; an absconding report for the
worker and the sponsor it is filed in the name of. A refused one is audited for no other party, but
one an individual named by ID and so learnt is registered (a new sponsor)."""

from __future__ import annotations

from sqlalchemy import update

from sectors.passports.models import IqamaRow
from tests.conftest import PERSONA, Api, individual, officer
from tests.sectors.asking import change, days
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


async def test_a_new_sponsors_attempt_is_in_the_workers_log_refused_or_forbidden(api: Api) -> None:
    """Their consent runs the rules over the worker's records: a refusal tells them the worker's
    blocker, so the worker sees it, as they see a stranger's attempt that was FORBIDDEN."""
    async with restored(api):
        worker = await allowed_worker(api, "TRANSFER_SPONSORSHIP")
        stranger = individual(PERSONA["unpaid_violations"])
        before = await logs(api, [worker], TRANSFER)
        forbidden = await consent(api, worker, "NEW_SPONSOR", stranger, new_sponsor=PERSONA["unpaid_violations"])
        assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN", forbidden
        await consent(api, worker, "WORKER", individual(worker))
        await change(api, update(IqamaRow).where(IqamaRow.number == worker).values(expires_on=days(-1)))
        refused = await consent(api, worker, "NEW_SPONSOR", individual(NEW_SPONSOR))
        assert [blocker["code"] for blocker in refused["blockers"]] == ["IQAMA_NOT_VALID"], refused
        after = await logs(api, [worker], TRANSFER)
        assert [
            (e["actor"], e["actingAs"], e["outcome"]) for e in after[worker][: len(after[worker]) - len(before[worker])]
        ] == [
            (individual(NEW_SPONSOR).actor, "party", "IQAMA_NOT_VALID"),
            (individual(worker).actor, "self", "ok"),
            (stranger.actor, "denied", "FORBIDDEN"),
        ]


async def test_a_new_sponsor_found_by_the_id_given_sees_the_attempt_whatever_came_of_it(api: Api) -> None:
    """Refused or not, the answer told the worker that the ID they named is registered; an ID no one
    has is NOT_FOUND at the argument that named it, and in no one's log."""
    async with restored(api):
        worker = await allowed_worker(api, "TRANSFER_SPONSORSHIP")
        await change(api, update(IqamaRow).where(IqamaRow.number == worker).values(expires_on=days(-1)))
        before = await logs(api, [NEW_SPONSOR, SPONSOR], TRANSFER)
        refused = await consent(api, worker, "WORKER", individual(worker))
        assert [blocker["code"] for blocker in refused["blockers"]] == ["IQAMA_NOT_VALID"], refused
        after = await logs(api, [NEW_SPONSOR, SPONSOR], TRANSFER)
        assert after[SPONSOR] == before[SPONSOR]  # not named by the caller: learnt nothing of them
        assert after[NEW_SPONSOR][0] == {
            "actor": individual(worker).actor,
            "actingAs": "party",
            "sector": "passports",
            "fields": [TRANSFER],
            "action": TRANSFER,
            "outcome": "IQAMA_NOT_VALID",
        }
        assert len(after[NEW_SPONSOR]) == len(before[NEW_SPONSOR]) + 1
        unknown = await consent(api, worker, "WORKER", individual(worker), new_sponsor="1999999996")
        (error,) = unknown["errors"]
        assert (error["extensions"]["code"], error["extensions"]["argument"]) == ("NOT_FOUND", "input.newSponsorId")


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
