"""Transfer of a worker's sponsorship (نقل خدمات): the worker, the sponsor they leave and the new
sponsor each consent; with the third consent the iqama names the new sponsor, and access follows
at once (the sponsor relation reads the iqama's sponsor)."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import Annotated, Any

import strawberry
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.field import StrawberryField

from hub.contract import (
    ActingAs,
    Code,
    Info,
    NoticeKind,
    RabtError,
    Refusal,
    answer_or_refusal,
    ascii_digits,
    described_enum,
    idempotency_key,
    insert_new,
    parse_person_id,
    parse_unified_number,
    record,
    refusals,
    updated,
)
from sectors.passports.establishments.fields import establishment_by_number
from sectors.passports.loaders import transfers_by_person
from sectors.passports.models import IqamaRow, TransferRow
from sectors.passports.services import TRANSFER_SPONSORSHIP
from sectors.passports.types import SponsorshipTransfer, TransferStatus, is_establishment


@described_enum(
    "In which capacity the caller consents to a transfer of sponsorship.",
    {
        "WORKER": "As the worker whose sponsorship is transferred.",
        "SPONSOR": "As the sponsor the worker leaves, when that sponsor is a person.",
        "NEW_SPONSOR": "As the new sponsor: a person, or an establishment through a user acting for it.",
    },
)
class TransferParty(enum.Enum):
    WORKER = "worker_consented_on"
    SPONSOR = "sponsor_consented_on"
    NEW_SPONSOR = "new_sponsor_consented_on"


CONSENTS = tuple(party.value for party in TransferParty)

_refusal = refusals(
    {
        "SAME_SPONSOR": ("The worker is already sponsored by this sponsor.", "العامل على كفالة هذا الكفيل بالفعل."),
        "ANOTHER_TRANSFER_PENDING": (
            "A transfer of this worker to another sponsor is under way.",
            "يوجد طلب نقل خدمات قائم لهذا العامل إلى كفيل آخر.",
        ),
    }
)


@strawberry.input(description="Consent to transferring a worker's sponsorship to a new sponsor.")
class TransferSponsorshipInput:
    person_id: strawberry.ID = strawberry.field(description="The worker's iqama number.")
    new_sponsor_id: strawberry.ID = strawberry.field(
        description="The new sponsor: a person's ID, or an establishment's unified number (ten digits starting with "
        "7), whose authorised user consents for it acting for it (X-On-Behalf-Of)."
    )
    party: TransferParty = strawberry.field(
        description="Who consents: the worker themself, their sponsor, or the new sponsor (a passports officer may "
        "record any of them)."
    )
    idempotency_key: str | None = idempotency_key()


TransferSponsorshipArgument = Annotated[
    TransferSponsorshipInput,
    strawberry.argument(
        description="The worker's iqama number, the new sponsor, and in which capacity the caller consents."
    ),
]


@strawberry.type(description="The consent was recorded; with all three, the worker's iqama names the new sponsor.")
class SponsorshipTransferConsented:
    transfer: SponsorshipTransfer = strawberry.field(description="The transfer: pending, or done.")


async def _pending(session: AsyncSession, person_id: str) -> TransferRow | None:
    return (
        await session.execute(
            select(TransferRow).where(TransferRow.person_id == person_id, TransferRow.status == "pending")
        )
    ).scalar_one_or_none()


async def _consent(
    session: AsyncSession, worker: str, new_sponsor: str, party: TransferParty, today: dt.date
) -> Refusal | dict[str, Any]:
    """The transfer with this party's consent: SAME_SPONSOR, ANOTHER_TRANSFER_PENDING, or its row's values."""
    sponsor_id = (await session.execute(select(IqamaRow.sponsor_id).where(IqamaRow.number == worker))).scalar_one()
    if sponsor_id == new_sponsor:
        return _refusal("SAME_SPONSOR")
    pending = await _pending(session, worker)
    if pending is not None and pending.to_sponsor_id != new_sponsor:
        return _refusal("ANOTHER_TRANSFER_PENDING")
    if pending is None:
        # No consent yet and not done: those columns are left NULL; the answer is the row read back.
        started = dict(
            person_id=worker,
            from_sponsor_id=sponsor_id,
            to_sponsor_id=new_sponsor,
            requested_on=today,
            status="pending",
        )
        reference = (
            await insert_new(session, TransferRow, started, "reference", lambda: f"TR-{secrets.randbelow(10**9):09d}")
        )["reference"]
    else:
        reference = pending.reference
    await session.execute(
        update(TransferRow)
        .where(TransferRow.reference == reference, getattr(TransferRow, party.value).is_(None))
        .values({party.value: today})
    )
    row = (await session.execute(select(TransferRow).where(TransferRow.reference == reference))).scalar_one()
    if all(getattr(row, consent) is not None for consent in CONSENTS):
        # Conditional on the sponsor the consents were given for: a change meanwhile leaves it pending.
        moved = await updated(
            session,
            update(IqamaRow)
            .where(IqamaRow.number == worker, IqamaRow.sponsor_id == row.from_sponsor_id)
            .values(sponsor_id=new_sponsor),
        )
        if moved == 1:
            await session.execute(
                update(TransferRow).where(TransferRow.reference == reference).values(status="done", done_on=today)
            )
        await session.refresh(row)
    return {column.key: getattr(row, column.key) for column in TransferRow.__table__.columns}


async def _asked_for(info: Info, worker: str, new_sponsor: str) -> bool:
    """Whether the worker or their sponsor has consented to a pending transfer to `new_sponsor`."""
    return any(
        transfer.status is TransferStatus.PENDING
        and transfer.to_sponsor_id == new_sponsor
        and (transfer.worker_consented_on is not None or transfer.sponsor_consented_on is not None)
        for transfer in await info.context.load(transfers_by_person, worker)
    )


def _sponsor_id(text: str) -> str:
    """The new sponsor as stored: an establishment's unified number (it starts with 7), or a person's ID."""
    if is_establishment(ascii_digits(text.strip())):
        return parse_unified_number(text, "input.newSponsorId")
    return parse_person_id(text, "input.newSponsorId")


async def _may_consent(info: Info, worker: str, new_sponsor: str, party: TransferParty) -> None:
    """FORBIDDEN unless the caller may give this party's consent; NOT_FOUND for a new sponsor no one has."""
    context = info.context
    if party is TransferParty.NEW_SPONSOR:
        # The new sponsor has no relation to the worker yet: they consent in their own right (an
        # establishment through its authorised user acting for it, checked on every request), and
        # only to a transfer the worker or their sponsor asked for, naming them. Otherwise anyone
        # could name themself to learn a worker's sponsor and blockers, and leave a pending
        # transfer that stops the sponsor's own services. A passports officer records it any time.
        capacity = ActingAs.ESTABLISHMENT if is_establishment(new_sponsor) else ActingAs.SELF
        acting = await context.require_write(new_sponsor, "passports", allow=frozenset({capacity}))
        if acting is capacity and not await _asked_for(info, worker, new_sponsor):
            raise RabtError(
                Code.FORBIDDEN,
                "The new sponsor consents once the worker or their sponsor has asked for the transfer to them.",
                sector="passports",
            )
    else:
        capacity = ActingAs.SELF if party is TransferParty.WORKER else ActingAs.SPONSOR
        await context.require_write(worker, "passports", allow=frozenset({capacity}))
    if not is_establishment(new_sponsor):
        await context.require_known_person(new_sponsor, "input.newSponsorId")
    elif await context.load(establishment_by_number, new_sponsor) is None:
        raise RabtError(
            Code.NOT_FOUND, f"No establishment has the unified number {new_sponsor}.", argument="input.newSponsorId"
        )


async def transfer_sponsorship(
    info: Info, input: TransferSponsorshipArgument
) -> SponsorshipTransferConsented | Refusal:
    worker = parse_person_id(input.person_id, "input.personId")
    new_sponsor = _sponsor_id(input.new_sponsor_id)
    context = info.context
    await _may_consent(info, worker, new_sponsor, input.party)
    today = context.today()

    async def consent(session: AsyncSession) -> SponsorshipTransferConsented | Refusal:
        found = await _consent(session, worker, new_sponsor, input.party, today)
        if isinstance(found, Refusal):
            return found
        context.touches(found["from_sponsor_id"], found["to_sponsor_id"])  # both sponsors are in the answer
        if found["status"] == "done":
            context.notify(
                "passports",
                worker,
                NoticeKind.SERVICE_COMPLETED,
                f"Your sponsorship was transferred to your new sponsor (transfer {found['reference']}).",
                f"نُقلت كفالتك إلى كفيلك الجديد (طلب نقل رقم {found['reference']}).",
            )
        return SponsorshipTransferConsented(transfer=record(SponsorshipTransfer, found))

    return await context.once(
        input, SponsorshipTransferConsented, consent, rules=lambda: TRANSFER_SPONSORSHIP.blockers(context, worker)
    )


def fields() -> dict[str, StrawberryField]:
    return {
        "transfer_sponsorship": strawberry.mutation(
            transfer_sponsorship,
            graphql_type=answer_or_refusal(
                "TransferSponsorshipResult", SponsorshipTransferConsented, "The transfer, or every rule that blocks it."
            ),
            description=(
                "Consent to transferring a worker's sponsorship (transfer of services) to a new sponsor: as the "
                "worker, their sponsor or the new sponsor (a person, or an establishment through its authorised user "
                "acting for it; the sponsor the worker leaves consents only as a person), or a passports officer "
                "recording one of them. The new sponsor consents once the worker or their sponsor has asked for the "
                "transfer to them (FORBIDDEN before). NOT_FOUND for a new sponsor no one has. With the "
                "third consent the iqama names the new sponsor, who reads the worker's passports records from then "
                "on, and the former sponsor no longer does. Refused with every rule that blocks it (as "
                "eligibility(service: TRANSFER_SPONSORSHIP)), SAME_SPONSOR, or ANOTHER_TRANSFER_PENDING."
            ),
        ),
    }
