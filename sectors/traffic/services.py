"""Traffic's services and the rules it answers for other sectors (unpaid violations block services)."""

from __future__ import annotations

import datetime as dt

from hub.contract import ActingAs, Blocker, Check, Rules, SectorContext, Service
from sectors.traffic import loaders
from sectors.traffic.types import LicenceStatus, Violation

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


RENEW_DRIVING_LICENCE = Service(
    name="RENEW_DRIVING_LICENCE",
    sector="traffic",
    description="Renew a driving licence for ten years, from 180 days before it expires.",
    allow=frozenset({ActingAs.SELF}),
    blockers=licence_renewal_blockers,
)
