"""Passports' services and the rules that block them; traffic's rules are asked through the hub."""

from __future__ import annotations

from hub.contract import ActingAs, Blocker, Rules, SectorContext, Service
from sectors.passports import loaders
from sectors.passports.types import IqamaStatus, PassportStatus, ReportStatus, VisaKind, VisaStatus

RULES = Rules(
    "passports",
    {
        "NOT_A_RESIDENT": (
            "This person holds no iqama.",
            "لا توجد إقامة لهذا الشخص.",
            "Only residents hold iqamas; a visitor's status is on their visa.",
            "الإقامة للمقيمين فقط؛ وضع الزائر في تأشيرته.",
        ),
        "IQAMA_NOT_VALID": (
            "The iqama is not valid; renew it first.",
            "الإقامة غير سارية، يجب تجديدها أولاً.",
            "Renew the iqama (renewIqama).",
            "جدد الإقامة.",
        ),
        "IQAMA_CANCELLED": (
            "The iqama is cancelled.",
            "الإقامة ملغاة.",
            "A cancelled iqama cannot be renewed; a new sponsor applies for a new one.",
            "لا تجدد الإقامة الملغاة؛ يتقدم كفيل جديد بطلب إقامة جديدة.",
        ),
        "PASSPORT_NOT_VALID": (
            "This person has no valid passport registered.",
            "لا يوجد جواز سفر ساري مسجل لهذا الشخص.",
            "Register a valid passport with Jawazat (renew it at the embassy first).",
            "سجل جواز سفر ساري لدى الجوازات (جدده لدى السفارة أولاً).",
        ),
        "ABSCONDING_REPORT_OPEN": (
            "An absconding report is open for this person.",
            "يوجد بلاغ تغيب مفتوح عن هذا الشخص.",
            "The sponsor cancels the report, or the person settles it with Jawazat.",
            "يلغي الكفيل البلاغ، أو يراجع الشخص الجوازات لتسويته.",
        ),
        "VISA_ALREADY_ISSUED": (
            "An exit/re-entry visa is already issued and unused.",
            "توجد تأشيرة خروج وعودة صادرة لم تستخدم.",
            "Use or cancel the issued visa first.",
            "استخدم التأشيرة الصادرة أو ألغها أولاً.",
        ),
        "FINAL_EXIT_ALREADY_ISSUED": (
            "A final exit visa is already issued.",
            "توجد تأشيرة خروج نهائي صادرة.",
            "Use or cancel the issued final exit visa.",
            "استخدم تأشيرة الخروج النهائي الصادرة أو ألغها.",
        ),
    },
)

EXIT_REENTRY = {VisaKind.EXIT_REENTRY_SINGLE, VisaKind.EXIT_REENTRY_MULTIPLE}


async def _iqama_and_passport(context: SectorContext, person_id: str, *, valid: bool) -> list[Blocker]:
    """The iqama exists (and, with `valid`, is valid today; else only not cancelled) and a passport is valid."""
    iqama = await context.load(loaders.iqama_by_person, person_id)
    if iqama is None:
        return [RULES("NOT_A_RESIDENT")]
    today = context.today()
    blockers = []
    if valid and (iqama.status is not IqamaStatus.VALID or iqama.expires_on.gregorian < today):
        blockers.append(RULES("IQAMA_NOT_VALID"))
    if not valid and iqama.status is IqamaStatus.CANCELLED:
        blockers.append(RULES("IQAMA_CANCELLED"))
    passports = await context.load(loaders.passports_by_person, person_id)
    if not any(p.status is PassportStatus.VALID and p.expires_on.gregorian >= today for p in passports):
        blockers.append(RULES("PASSPORT_NOT_VALID"))
    return blockers


async def _absconding(context: SectorContext, person_id: str) -> list[Blocker]:
    reports = await context.load(loaders.absconding_reports_by_person, person_id)
    return [RULES("ABSCONDING_REPORT_OPEN")] if any(r.status is ReportStatus.OPEN for r in reports) else []


async def _unused_visa(context: SectorContext, person_id: str, kinds: set[VisaKind], code: str) -> list[Blocker]:
    today = context.today()
    visas = await context.load(loaders.visas_by_person, person_id)
    unused = any(v.kind in kinds and v.status is VisaStatus.ISSUED and v.valid_until.gregorian >= today for v in visas)
    return [RULES(code)] if unused else []


async def _traffic(context: SectorContext, name: str, person_id: str) -> list[Blocker]:
    found = await context.check(name, person_id)
    return [] if found is None else [found]


async def exit_reentry_blockers(context: SectorContext, person_id: str) -> list[Blocker]:
    blockers = await _iqama_and_passport(context, person_id, valid=True)
    if blockers and blockers[0].code == "NOT_A_RESIDENT":
        return blockers
    return (
        blockers
        + await _absconding(context, person_id)
        + await _unused_visa(context, person_id, EXIT_REENTRY, "VISA_ALREADY_ISSUED")
    )


async def iqama_renewal_blockers(context: SectorContext, person_id: str) -> list[Blocker]:
    blockers = await _iqama_and_passport(context, person_id, valid=False)
    if blockers and blockers[0].code == "NOT_A_RESIDENT":
        return blockers
    return (
        blockers
        + await _absconding(context, person_id)
        + await _traffic(context, "traffic.unpaid_violations", person_id)
    )


async def final_exit_blockers(context: SectorContext, person_id: str) -> list[Blocker]:
    blockers = await _iqama_and_passport(context, person_id, valid=True)
    if blockers and blockers[0].code == "NOT_A_RESIDENT":
        return blockers
    blockers += await _unused_visa(context, person_id, {VisaKind.FINAL_EXIT}, "FINAL_EXIT_ALREADY_ISSUED")
    blockers += await _traffic(context, "traffic.unpaid_violations", person_id)
    # The people this resident sponsors (family) leave with them: their fines block it too. The
    # blocker names no one: the caller may not read the dependants' records.
    dependants = [
        iqama.number
        for iqama in await context.load(loaders.iqamas_by_sponsor, person_id)
        if iqama.status is not IqamaStatus.CANCELLED
    ]
    for dependant in dependants:
        found = await _traffic(context, "traffic.unpaid_violations_of_dependant", dependant)
        if found:
            return blockers + found
    return blockers


SPONSOR = frozenset({ActingAs.SPONSOR})
"""Besides officers of passports (always): the sponsor named on the iqama."""
RESIDENT_OR_SPONSOR = frozenset({ActingAs.SELF, ActingAs.SPONSOR})
"""Besides officers: the resident themself, or the sponsor."""

ISSUE_EXIT_REENTRY_VISA = Service(
    name="ISSUE_EXIT_REENTRY_VISA",
    sector="passports",
    description="Issue an exit/re-entry visa: a valid iqama and passport, no open absconding report, none unused.",
    allow=SPONSOR,
    blockers=exit_reentry_blockers,
)
RENEW_IQAMA = Service(
    name="RENEW_IQAMA",
    sector="passports",
    description="Renew an iqama for a year: a valid passport, no open absconding report, no unpaid violations.",
    allow=RESIDENT_OR_SPONSOR,
    blockers=iqama_renewal_blockers,
)
ISSUE_FINAL_EXIT_VISA = Service(
    name="ISSUE_FINAL_EXIT_VISA",
    sector="passports",
    description="Issue a final exit visa: a valid iqama and passport, no unpaid violations (dependants' too).",
    allow=RESIDENT_OR_SPONSOR,
    blockers=final_exit_blockers,
)
