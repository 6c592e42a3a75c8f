"""Traffic's services and the rules it answers for other sectors (unpaid violations block services)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from hub.contract import ActingAs, Blocker, Check, Item, Rules, SectorContext, Service
from sectors.traffic import loaders
from sectors.traffic.types import InsuranceStatus, LicenceStatus, Violation

RENEWAL_WINDOW = dt.timedelta(days=180)
"""A driving licence may be renewed from this long before it expires."""

RULES = Rules(
    "traffic",
    {
        "UNPAID_VIOLATIONS": (
            "This person has unpaid traffic violations.",
            "على هذا الشخص مخالفات مرورية غير مسددة.",
            "Pay the violations (payTrafficViolation) or object to them within 30 days.",
            "سدد المخالفات أو اعترض عليها خلال 30 يوماً.",
        ),
        "DEPENDANT_UNPAID_VIOLATIONS": (
            "A dependant of this person has unpaid traffic violations.",
            "على أحد التابعين لهذا الشخص مخالفات مرورية غير مسددة.",
            "The dependant pays their violations first.",
            "يسدد التابع مخالفاته أولاً.",
        ),
        "NO_DRIVING_LICENCE": (
            "This person holds no driving licence.",
            "لا توجد رخصة قيادة لهذا الشخص.",
            "Apply for a licence at a driving school.",
            "تقدم بطلب رخصة عن طريق مدرسة تعليم القيادة.",
        ),
        "LICENCE_SUSPENDED": (
            "The driving licence is suspended.",
            "رخصة القيادة موقوفة.",
            "Settle the suspension with traffic first.",
            "عالج سبب الإيقاف لدى المرور أولاً.",
        ),
        "TOO_EARLY_TO_RENEW": (
            "A driving licence can be renewed from 180 days before it expires.",
            "يمكن تجديد رخصة القيادة قبل انتهائها بـ 180 يوماً.",
            "Renew within 180 days of the expiry date.",
            "جدد الرخصة خلال 180 يوماً من تاريخ انتهائها.",
        ),
        "VEHICLE_NOT_FOUND": (
            "No vehicle with this sequence number is registered to this person.",
            "لا توجد مركبة بهذا الرقم التسلسلي مسجلة باسم هذا الشخص.",
            "Check the sequence number on the registration (istimara).",
            "تحقق من الرقم التسلسلي في رخصة السير (الاستمارة).",
        ),
        "VEHICLE_NOT_INSURED": (
            "The vehicle has no valid insurance.",
            "لا يوجد تأمين ساري على المركبة.",
            "Insure the vehicle with a licensed insurer; the insurance reaches traffic the same day.",
            "أمّن على المركبة لدى شركة تأمين مرخصة؛ يصل التأمين إلى المرور في اليوم نفسه.",
        ),
        "VEHICLE_UNPAID_VIOLATIONS": (
            "There are unpaid traffic violations on this vehicle.",
            "توجد مخالفات مرورية غير مسددة على هذه المركبة.",
            "Pay the vehicle's violations (payTrafficViolation) or object to them within 30 days.",
            "سدد مخالفات المركبة أو اعترض عليها خلال 30 يوماً.",
        ),
        "TRANSFER_PENDING": (
            "This vehicle is already offered to a buyer.",
            "هذه المركبة معروضة على مشترٍ بالفعل.",
            "Wait for the buyer to accept the offer.",
            "انتظر قبول المشتري للعرض.",
        ),
        "NO_TRANSFER_OFFERED": (
            "This vehicle is not offered to this person.",
            "هذه المركبة غير معروضة على هذا الشخص.",
            "The owner offers the vehicle to you first (transferVehicleOwnership).",
            "يعرض المالك المركبة عليك أولاً.",
        ),
    },
)


def _unpaid(violations: list[Violation]) -> Blocker | None:
    return RULES("UNPAID_VIOLATIONS") if violations else None


def _unpaid_of_dependant(violations: list[Violation]) -> Blocker | None:
    return RULES("DEPENDANT_UNPAID_VIOLATIONS") if violations else None


UNPAID_VIOLATIONS = Check("traffic.unpaid_violations", loaders.unpaid_violations_by_person, _unpaid)
UNPAID_VIOLATIONS_OF_DEPENDANT = Check(
    "traffic.unpaid_violations_of_dependant", loaders.unpaid_violations_by_person, _unpaid_of_dependant
)


async def licence_renewal_blockers(context: SectorContext, person_id: str) -> list[Blocker]:
    licence = await context.load(loaders.driving_licence_by_person, person_id)
    if licence is None:
        return [RULES("NO_DRIVING_LICENCE")]
    blockers = []
    if licence.status is LicenceStatus.SUSPENDED:
        blockers.append(RULES("LICENCE_SUSPENDED"))
    if licence.expires_on.gregorian - context.today() > RENEWAL_WINDOW:
        blockers.append(RULES("TOO_EARLY_TO_RENEW"))
    unpaid = _unpaid(await context.load(loaders.unpaid_violations_by_person, person_id))
    if unpaid is not None:
        blockers.append(unpaid)
    return blockers


async def _vehicle_state(context: SectorContext, sequence_number: str) -> list[Blocker]:
    """What must hold of a vehicle whoever asks: insured, and no unpaid violation recorded against it."""
    vehicle = await context.load(loaders.vehicle_by_sequence_number, sequence_number)
    blockers = []
    if vehicle is None or vehicle.insurance_status is not InsuranceStatus.INSURED:
        blockers.append(RULES("VEHICLE_NOT_INSURED"))
    if await context.load(loaders.unpaid_violations_by_vehicle, sequence_number):
        blockers.append(RULES("VEHICLE_UNPAID_VIOLATIONS"))
    return blockers


async def _owned(context: SectorContext, person_id: str, sequence_number: str) -> bool:
    vehicle = await context.load(loaders.vehicle_by_sequence_number, sequence_number)
    return vehicle is not None and vehicle.owner_id == person_id


async def registration_renewal_blockers(context: SectorContext, person_id: str, sequence_number: str) -> list[Blocker]:
    # Services suspended for unpaid fines do not stop it (docs/domain.md §1.3): only the vehicle's own fines.
    if not await _owned(context, person_id, sequence_number):
        return [RULES("VEHICLE_NOT_FOUND")]
    return await _vehicle_state(context, sequence_number)


async def transfer_offer_blockers(context: SectorContext, person_id: str, sequence_number: str) -> list[Blocker]:
    if not await _owned(context, person_id, sequence_number):
        return [RULES("VEHICLE_NOT_FOUND")]
    blockers = await _vehicle_state(context, sequence_number)
    if await context.load(loaders.pending_transfer_by_vehicle, sequence_number) is not None:
        blockers.append(RULES("TRANSFER_PENDING"))
    return blockers


async def transfer_acceptance_blockers(context: SectorContext, person_id: str, sequence_number: str) -> list[Blocker]:
    offer = await context.load(loaders.pending_transfer_by_vehicle, sequence_number)
    if offer is None or offer.buyer_id != person_id:
        return [RULES("NO_TRANSFER_OFFERED")]
    return await _vehicle_state(context, sequence_number)


def _vehicle(blockers: Callable[[SectorContext, str, str], Awaitable[list[Blocker]]]) -> Item:
    return Item(description="a vehicle: its sequence number (9 digits)", digits=(9, 9), blockers=blockers)


RENEW_VEHICLE_REGISTRATION = Service(
    name="RENEW_VEHICLE_REGISTRATION",
    sector="traffic",
    description="Renew a vehicle's registration (istimara) for three years: insured, no unpaid violation on it.",
    allow=frozenset({ActingAs.SELF}),
    item=_vehicle(registration_renewal_blockers),
)
TRANSFER_VEHICLE_OWNERSHIP = Service(
    name="TRANSFER_VEHICLE_OWNERSHIP",
    sector="traffic",
    description="Offer a vehicle to a buyer: insured, no unpaid violation on it, no other offer pending.",
    allow=frozenset({ActingAs.SELF}),
    item=_vehicle(transfer_offer_blockers),
)
ACCEPT_VEHICLE_TRANSFER = Service(
    name="ACCEPT_VEHICLE_TRANSFER",
    sector="traffic",
    description="Accept a vehicle offered to you: it becomes yours if it is still insured and without unpaid fines.",
    allow=frozenset({ActingAs.SELF}),
    item=_vehicle(transfer_acceptance_blockers),
)

RENEW_DRIVING_LICENCE = Service(
    name="RENEW_DRIVING_LICENCE",
    sector="traffic",
    description="Renew a driving licence for ten years, from 180 days before it expires.",
    allow=frozenset({ActingAs.SELF}),
    blockers=licence_renewal_blockers,
)
