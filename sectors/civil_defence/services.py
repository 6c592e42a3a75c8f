"""Civil defence's services: an establishment's safety permit (Salamah licence), applied for and renewed."""

from __future__ import annotations

import datetime as dt

from hub.contract import ActingAs, Blocker, Item, Rules, SectorContext, Service
from sectors.civil_defence import loaders
from sectors.civil_defence.types import SafetyPermitStatus

RENEWAL_WINDOW = dt.timedelta(days=90)
"""A permit may be renewed from this long before it expires (a seed figure: Salamah publishes none)."""

RULES = Rules(
    "civil_defence",
    {
        "VISITOR_CANNOT_OWN": (
            "A visitor cannot hold an establishment's safety permit.",
            "لا يمكن للزائر الحصول على رخصة سلامة لمنشأة.",
            "The establishment's owner, a citizen or a resident, applies.",
            "يتقدم مالك المنشأة، مواطناً كان أو مقيماً.",
        ),
        "PERMIT_NOT_FOUND": (
            "No safety permit with this number is held by this person.",
            "لا توجد رخصة سلامة بهذا الرقم لهذا الشخص.",
            "Check the permit number on the licence.",
            "تحقق من رقم الرخصة.",
        ),
        "PERMIT_PENDING": (
            "This permit is still awaiting civil defence's inspection.",
            "هذه الرخصة بانتظار معاينة الدفاع المدني.",
            "Wait for the inspection (1 to 5 working days).",
            "انتظر المعاينة (من يوم إلى خمسة أيام عمل).",
        ),
        "PERMIT_SUSPENDED": (
            "This permit is suspended.",
            "هذه الرخصة موقوفة.",
            "Correct the safety violations civil defence recorded, then ask for an inspection.",
            "صحح مخالفات السلامة المسجلة ثم اطلب المعاينة.",
        ),
        "TOO_EARLY_TO_RENEW": (
            "A safety permit can be renewed from 90 days before it expires.",
            "يمكن تجديد رخصة السلامة قبل انتهائها بـ 90 يوماً.",
            "Renew within 90 days of the expiry date.",
            "جدد الرخصة خلال 90 يوماً من تاريخ انتهائها.",
        ),
    },
)


async def application_blockers(context: SectorContext, person_id: str) -> list[Blocker]:
    # A border number (3…) is a visitor's: only citizens and residents own establishments.
    return [RULES("VISITOR_CANNOT_OWN")] if person_id.startswith("3") else []


async def renewal_blockers(context: SectorContext, person_id: str, number: str) -> list[Blocker]:
    permit = await context.load(loaders.safety_permit_by_number, number)
    if permit is None or permit.owner_id != person_id:
        return [RULES("PERMIT_NOT_FOUND")]
    if permit.status is SafetyPermitStatus.PENDING:
        return [RULES("PERMIT_PENDING")]
    blockers = []
    if permit.status is SafetyPermitStatus.SUSPENDED:
        blockers.append(RULES("PERMIT_SUSPENDED"))
    if permit.expires_on.gregorian - context.today() > RENEWAL_WINDOW:
        blockers.append(RULES("TOO_EARLY_TO_RENEW"))
    return blockers


OWNER = frozenset({ActingAs.SELF})
"""Besides civil defence officers: the establishment's owner."""

APPLY_SAFETY_PERMIT = Service(
    name="APPLY_SAFETY_PERMIT",
    sector="civil_defence",
    description="Apply for an establishment's safety permit: low-risk ones are issued at once, others inspected.",
    allow=OWNER,
    blockers=application_blockers,
)
RENEW_SAFETY_PERMIT = Service(
    name="RENEW_SAFETY_PERMIT",
    sector="civil_defence",
    description="Renew a safety permit for a year, from 90 days before it expires; not while suspended.",
    allow=OWNER,
    item=Item(
        description="a safety permit: its number (SL then 10 digits)",
        prefix="SL",
        digits=(10, 10),
        blockers=renewal_blockers,
    ),
)
