"""Transfer of sponsorship over HTTP: the worker, the sponsor and the new sponsor each consent;
with the third consent the iqama names the new sponsor and access follows at once."""

from __future__ import annotations

import dataclasses
import re
import secrets
from typing import Any

import pytest
from sqlalchemy import select, update

from hub.contract import unified_number
from hub.contract.principal import Principal
from sectors.passports.models import IqamaRow, TransferRow
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.asking import change, days, fresh_key
from tests.sectors.passports.helpers import (
    SPONSOR,
    allowed_worker,
    blockers,
    last_notice,
    mutate,
    restored,
    workers_of,
)
from tests.sectors.passports.test_establishments import (
    ACCESS_LOG,
    AS_ESTABLISHMENT,
    ESTABLISHMENT,
    OTHER_ESTABLISHMENT,
    USER,
    _authorised,
    _establishment,
)
from tests.services.tables import changed, every_row

CONSENTED = """... on SponsorshipTransferConsented { transfer {
  reference status workerConsentedOn { gregorian } sponsorConsentedOn { gregorian }
  newSponsorConsentedOn { gregorian } doneOn { gregorian } fromSponsor { id } toSponsor { id } } }"""
IQAMA = "query($id: ID!) { person(id: $id) { passports { iqama { sponsor { id } } } } }"
NEW_SPONSOR = PERSONA["family_head"]
AS_SPONSOR = individual(SPONSOR)
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
        first = await consent(api, worker, "WORKER", individual(worker))
        assert first["transfer"]["status"] == "PENDING", first
        assert "TRANSFER_PENDING" in await blockers(api, "FILE_ABSCONDING_REPORT", worker, individual(SPONSOR))
        second = await consent(api, worker, "NEW_SPONSOR", individual(NEW_SPONSOR))
        assert second["transfer"]["status"] == "PENDING", second
        log = await api.query(LOG, as_=individual(NEW_SPONSOR))  # consented in their own right: audited so
        assert {"actingAs": "self", "sector": "passports", "fields": ["transferSponsorship"]} in log["data"]["me"][
            "accessLog"
        ]["entries"]
        # Before it is done, the new sponsor reads nothing of the worker's.
        early = await api.query(IQAMA, {"id": worker}, as_=individual(NEW_SPONSOR))
        assert early["errors"][0]["extensions"]["code"] == "FORBIDDEN"
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


async def test_a_new_sponsor_no_one_asked_for_learns_nothing_and_writes_nothing(api: Api) -> None:
    """Naming oneself the new sponsor of a stranger's worker is FORBIDDEN, with one answer whatever
    the worker's record holds: not their sponsor, not their blockers, and no pending transfer that
    would stop the sponsor's own services."""
    worker = await allowed_worker(api, "TRANSFER_SPONSORSHIP")
    stranger = individual(NEW_SPONSOR)
    async with restored(api):
        before = await every_row(api)
        answers = [
            await consent(api, someone, "NEW_SPONSOR", stranger)
            for someone in (worker, PERSONA["absconding_worker"], "2999999994")  # an ID no one has last
        ]
        assert changed(before, await every_row(api)) == []
        assert len({repr(answer) for answer in answers}) == 1, answers
        (error,) = answers[0]["errors"]
        assert (error["extensions"]["code"], error["message"], answers[0]["data"]) == (
            "FORBIDDEN",
            "The new sponsor consents once the worker or their sponsor has asked for the transfer to them.",
            None,
        )
        assert "TRANSFER_PENDING" not in await blockers(api, "FILE_ABSCONDING_REPORT", worker, AS_SPONSOR)
        await consent(api, worker, "WORKER", individual(worker), new_sponsor=PERSONA["unpaid_violations"])
        elsewhere = await consent(api, worker, "NEW_SPONSOR", stranger)  # asked for, but of someone else
        assert elsewhere["errors"][0]["extensions"]["code"] == "FORBIDDEN", elsewhere
        recorded = await consent(
            api, worker, "NEW_SPONSOR", officer("passports"), new_sponsor=PERSONA["unpaid_violations"]
        )
        assert recorded["transfer"]["newSponsorConsentedOn"] is not None, recorded


async def test_transfers_refused_write_nothing(api: Api) -> None:
    worker = await allowed_worker(api, "TRANSFER_SPONSORSHIP")
    passports = officer("passports")
    async with restored(api):
        before = await every_row(api)
        same = await consent(api, worker, "SPONSOR", passports, new_sponsor=SPONSOR)
        assert (same["code"], same["message"], same["messageAr"]) == (
            "SAME_SPONSOR",
            "The worker is already sponsored by this sponsor.",
            "العامل على كفالة هذا الكفيل بالفعل.",
        )
        absconded = await consent(api, PERSONA["absconding_worker"], "SPONSOR", passports)
        assert [b["code"] for b in absconded["blockers"]] == ["ABSCONDING_REPORT_OPEN"]
        assert changed(before, await every_row(api)) == []
        await consent(api, worker, "WORKER", passports)
        before = await every_row(api)
        other = await consent(api, worker, "SPONSOR", passports, new_sponsor=PERSONA["unpaid_violations"])
        assert (other["code"], other["message"], other["messageAr"]) == (
            "ANOTHER_TRANSFER_PENDING",
            "A transfer of this worker to another sponsor is under way.",
            "يوجد طلب نقل خدمات قائم لهذا العامل إلى كفيل آخر.",
        )
        assert changed(before, await every_row(api)) == []


async def test_a_consent_sent_again_with_its_key_is_answered_again_and_changes_nothing(api: Api) -> None:
    async with restored(api):
        worker = await allowed_worker(api, "TRANSFER_SPONSORSHIP")
        keyed = {
            "personId": worker,
            "newSponsorId": NEW_SPONSOR,
            "party": "WORKER",
            "idempotencyKey": fresh_key("consent-sent-twice"),
        }
        sent = ("transferSponsorship", "TransferSponsorshipInput", CONSENTED, keyed, individual(worker))
        first = await mutate(api, *sent)
        assert first["__typename"] == "SponsorshipTransferConsented", first
        before = await every_row(api)
        assert await mutate(api, *sent) == first
        assert changed(before, await every_row(api)) == []


async def test_two_workers_transfers_pending_at_once_each_take_only_their_own_consents(api: Api) -> None:
    async with restored(api):
        allowed = [w for w in await workers_of(api) if not await blockers(api, "TRANSFER_SPONSORSHIP", w, AS_SPONSOR)]
        one, other = allowed[:2]
        first = await consent(api, one, "WORKER", individual(one))
        second = await consent(api, other, "WORKER", individual(other))
        assert second["transfer"]["reference"] != first["transfer"]["reference"], "each worker's own transfer"
        theirs = select(TransferRow.__table__).where(TransferRow.person_id == other)
        untouched = await api.hub.db.fetch(theirs)
        consented = await consent(api, one, "SPONSOR", AS_SPONSOR)
        assert consented["transfer"]["reference"] == first["transfer"]["reference"], consented
        assert consented["transfer"]["sponsorConsentedOn"] == {"gregorian": str(TODAY)}
        assert await api.hub.db.fetch(theirs) == untouched
        later = await consent(api, other, "SPONSOR", AS_SPONSOR)
        assert later["transfer"]["reference"] == second["transfer"]["reference"], later


TO_ESTABLISHMENT = (
    """... on SponsorshipTransferConsented { transfer { status toSponsor { id } toSponsorEstablishment } }"""
)
WORKER_IQAMA = "query($id: ID!) { person(id: $id) { passports { iqama { sponsorEstablishment } } } }"


async def _to_establishment(api: Api, worker: str, party: str, caller: Principal, number: str) -> dict[str, Any]:
    return await mutate(  # type: ignore[no-any-return]
        api,
        "transferSponsorship",
        "TransferSponsorshipInput",
        TO_ESTABLISHMENT,
        {"personId": worker, "newSponsorId": number, "party": party},
        caller,
    )


async def test_a_worker_moves_to_an_establishment_whose_user_consents_for_it(api: Api) -> None:
    eastern = ESTABLISHMENT.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    async with restored(api):
        await change(api, _establishment(ESTABLISHMENT), _authorised(ESTABLISHMENT))
        worker = await allowed_worker(api, "TRANSFER_SPONSORSHIP")
        assert (await _to_establishment(api, worker, "WORKER", individual(worker), ESTABLISHMENT))["transfer"]
        second = await _to_establishment(api, worker, "NEW_SPONSOR", AS_ESTABLISHMENT, eastern)
        assert second["transfer"] == {"status": "PENDING", "toSponsor": None, "toSponsorEstablishment": ESTABLISHMENT}
        early = await api.query(WORKER_IQAMA, {"id": worker}, as_=AS_ESTABLISHMENT)
        assert early["errors"][0]["extensions"]["code"] == "FORBIDDEN", early
        done = await _to_establishment(api, worker, "SPONSOR", individual(SPONSOR), ESTABLISHMENT)
        assert done["transfer"]["status"] == "DONE", done
        now = await api.query(WORKER_IQAMA, {"id": worker}, as_=AS_ESTABLISHMENT)
        assert now["data"]["person"]["passports"]["iqama"] == {"sponsorEstablishment": ESTABLISHMENT}, now
        log = await api.query(ACCESS_LOG, as_=individual(worker))
        assert any(
            entry["action"] == "transferSponsorship"
            and entry["onBehalfOf"] == ESTABLISHMENT
            and entry["actor"] == f"individual:{USER}"
            for entry in log["data"]["me"]["accessLog"]["entries"]
        ), log


async def test_only_the_establishments_user_acting_for_it_consents_for_it(api: Api) -> None:
    worker = await allowed_worker(api, "TRANSFER_SPONSORSHIP")
    async with restored(api):
        await change(
            api,
            _establishment(ESTABLISHMENT),
            _establishment(OTHER_ESTABLISHMENT),
            _authorised(ESTABLISHMENT),
            _authorised(OTHER_ESTABLISHMENT),
        )
        await _to_establishment(api, worker, "WORKER", individual(worker), ESTABLISHMENT)  # asked for: only who remains
        before = await every_row(api)
        for caller in (
            individual(USER),  # its user, not acting for it
            dataclasses.replace(AS_ESTABLISHMENT, on_behalf_of=OTHER_ESTABLISHMENT),
            dataclasses.replace(AS_ESTABLISHMENT, person_id=SPONSOR),  # claiming it, not its user
            individual(SPONSOR),
            officer("traffic"),
        ):
            answer = await _to_establishment(api, worker, "NEW_SPONSOR", caller, ESTABLISHMENT)
            assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN", (caller, answer)
        unknown = unified_number(99_000_003)
        for number, code in ((unknown, "NOT_FOUND"), ("7000000001", "INVALID_ID"), ("1234", "INVALID_ID")):
            answer = await _to_establishment(api, worker, "NEW_SPONSOR", officer("passports"), number)
            extensions = answer["errors"][0]["extensions"]
            assert (extensions["code"], extensions["argument"]) == (code, "input.newSponsorId"), answer
        answer = await _to_establishment(api, worker, "NEW_SPONSOR", officer("passports"), unknown)
        assert answer["errors"][0]["message"] == f"No establishment has the unified number {unknown}."
        assert changed(before, await every_row(api)) == []
        consented = await _to_establishment(api, worker, "NEW_SPONSOR", AS_ESTABLISHMENT, ESTABLISHMENT)
        assert consented["transfer"]["status"] == "PENDING", consented


DATED = """... on SponsorshipTransferConsented { transfer { reference status requestedOn { gregorian }
  workerConsentedOn { gregorian } sponsorConsentedOn { gregorian } newSponsorConsentedOn { gregorian }
  doneOn { gregorian } } }"""


async def dated(api: Api, worker: str, party: str) -> dict[str, Any]:
    answer = await mutate(
        api,
        "transferSponsorship",
        "TransferSponsorshipInput",
        DATED,
        {"personId": worker, "newSponsorId": NEW_SPONSOR, "party": party},
        officer("passports"),
    )
    transfer: dict[str, Any] = answer["transfer"]
    return {key: value["gregorian"] if isinstance(value, dict) else value for key, value in transfer.items()}


async def test_each_consent_keeps_its_first_day_and_the_third_moves_the_worker_and_tells_them(api: Api) -> None:
    kept_today = api.hub.today
    async with restored(api):
        worker = await allowed_worker(api, "TRANSFER_SPONSORSHIP")
        told = await last_notice(api, worker)
        try:
            first = await dated(api, worker, "WORKER")
            reference = first.pop("reference")
            assert re.fullmatch(r"TR-\d{9}", reference), reference
            assert first == {
                "status": "PENDING",
                "requestedOn": str(TODAY),
                "workerConsentedOn": str(TODAY),
                "sponsorConsentedOn": None,
                "newSponsorConsentedOn": None,
                "doneOn": None,
            }
            api.hub.today = lambda: days(1)
            # The worker's consent again, a day later: the first one's day stands.
            assert (await dated(api, worker, "WORKER"))["workerConsentedOn"] == str(TODAY)
            second = await dated(api, worker, "NEW_SPONSOR")
            assert (second["status"], second["newSponsorConsentedOn"], second["sponsorConsentedOn"]) == (
                "PENDING",
                str(days(1)),
                None,
            )
            assert await last_notice(api, worker) == told  # nothing done yet to tell of
            api.hub.today = lambda: days(2)
            done = await dated(api, worker, "SPONSOR")
        finally:
            api.hub.today = kept_today
        assert done == {
            "reference": reference,
            "status": "DONE",
            "requestedOn": str(TODAY),
            "workerConsentedOn": str(TODAY),
            "sponsorConsentedOn": str(days(2)),
            "newSponsorConsentedOn": str(days(1)),
            "doneOn": str(days(2)),
        }
        assert await last_notice(api, worker) == (
            "service_completed",
            f"Your sponsorship was transferred to your new sponsor (transfer {reference}).",
            f"نُقلت كفالتك إلى كفيلك الجديد (طلب نقل رقم {reference}).",
        )
        # A transfer done is no longer pending: one back to the sponsor starts afresh.
        back = await consent(api, worker, "WORKER", officer("passports"), new_sponsor=SPONSOR)
        assert back["transfer"]["status"] == "PENDING" and back["transfer"]["reference"] != reference, back


async def test_consents_for_a_sponsor_the_worker_left_meanwhile_do_not_move_them(api: Api) -> None:
    """The iqama named another sponsor between the consents: the three given leave the transfer
    pending, and the iqama as it is."""
    other = PERSONA["unpaid_violations"]
    async with restored(api):
        worker = await allowed_worker(api, "TRANSFER_SPONSORSHIP")
        await dated(api, worker, "WORKER")
        await dated(api, worker, "NEW_SPONSOR")
        await change(api, update(IqamaRow).where(IqamaRow.number == worker).values(sponsor_id=other))
        third = await dated(api, worker, "SPONSOR")
        assert (third["status"], third["sponsorConsentedOn"], third["doneOn"]) == ("PENDING", str(TODAY), None)
        async with api.hub.db.connect() as connection:
            sponsor = await connection.scalar(select(IqamaRow.sponsor_id).where(IqamaRow.number == worker))
        assert sponsor == other


async def test_a_reference_is_tr_and_nine_digits_and_a_bad_worker_id_is_named(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with restored(api):
        worker = await allowed_worker(api, "TRANSFER_SPONSORSHIP")
        monkeypatch.setattr(secrets, "randbelow", lambda bound: bound - 1)  # the largest draw
        assert (await consent(api, worker, "WORKER", individual(worker)))["transfer"]["reference"] == "TR-999999999"
    answer = await consent(api, "1234", "WORKER", officer("passports"))
    extensions = answer["errors"][0]["extensions"]
    assert (extensions["code"], extensions["argument"]) == ("INVALID_ID", "input.personId")
