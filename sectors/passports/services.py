"""Passports' services and when their rules block them (the rules' texts are in `rules.py`); traffic's
rules are asked through the hub."""

from __future__ import annotations

import datetime as dt

from hub.contract import ActingAs, Blocker, SectorContext, Service
from sectors.passports import loaders
from sectors.passports.rules import RULES
from sectors.passports.types import (
    AbscondingReport,
    Iqama,
    IqamaStatus,
    PassportStatus,
    ReportStatus,
    Sponsorship,
    TransferStatus,
    Visa,
    VisaKind,
    VisaStatus,
)

EXTENSION_GRACE = dt.timedelta(days=60)
"""An exit/re-entry visa may be extended up to this long after it ended."""
REPORT_CANCEL_WINDOW = dt.timedelta(days=15)
"""An absconding report may be cancelled online this long after it was filed; later, in person."""

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
        + await _insurance(context, person_id)
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


async def _resident(context: SectorContext, person_id: str) -> Iqama | None:
    return await context.load(loaders.iqama_by_person, person_id)


def _iqama_valid(iqama: Iqama, today: dt.date) -> bool:
    return iqama.status is IqamaStatus.VALID and iqama.expires_on.gregorian >= today


async def _insurance(context: SectorContext, person_id: str) -> list[Blocker]:
    today = context.today()
    policies = await context.load(loaders.insurance_by_person, person_id)
    valid = any(p.valid_from.gregorian <= today <= p.valid_until.gregorian for p in policies)
    return [] if valid else [RULES("MEDICAL_INSURANCE_NOT_VALID")]


async def _final_exit_issued(context: SectorContext, person_id: str) -> list[Blocker]:
    return await _unused_visa(context, person_id, {VisaKind.FINAL_EXIT}, "FINAL_EXIT_ALREADY_ISSUED")


async def _transfer_pending(context: SectorContext, person_id: str) -> list[Blocker]:
    transfers = await context.load(loaders.transfers_by_person, person_id)
    return [RULES("TRANSFER_PENDING")] if any(t.status is TransferStatus.PENDING for t in transfers) else []


async def extendable_visa(context: SectorContext, person_id: str) -> Visa | None:
    """The exit/re-entry visa an extension applies to: the latest one issued or used (its holder
    abroad), whose end is no more than 60 days past."""
    since = context.today() - EXTENSION_GRACE
    visas = await context.load(loaders.visas_by_person, person_id)
    usable = (VisaStatus.ISSUED, VisaStatus.USED, VisaStatus.EXPIRED)
    found = [v for v in visas if v.kind in EXIT_REENTRY and v.status in usable and v.valid_until.gregorian >= since]
    return max(found, key=lambda v: (v.valid_until.gregorian, v.number), default=None)


async def cancellable_visa(context: SectorContext, person_id: str, kinds: set[VisaKind]) -> Visa | None:
    """The unused visa of these kinds a cancellation applies to: issued and not yet past its end."""
    today = context.today()
    visas = await context.load(loaders.visas_by_person, person_id)
    found = [v for v in visas if v.kind in kinds and v.status is VisaStatus.ISSUED and v.valid_until.gregorian >= today]
    return max(found, key=lambda v: (v.valid_until.gregorian, v.number), default=None)


async def open_report(context: SectorContext, person_id: str) -> AbscondingReport | None:
    reports = await context.load(loaders.absconding_reports_by_person, person_id)
    return next((r for r in reports if r.status is ReportStatus.OPEN), None)


async def extension_blockers(context: SectorContext, person_id: str) -> list[Blocker]:
    blockers = await _iqama_and_passport(context, person_id, valid=True)
    if blockers and blockers[0].code == "NOT_A_RESIDENT":
        return blockers
    blockers += await _absconding(context, person_id)
    if await extendable_visa(context, person_id) is None:
        blockers.append(RULES("NO_VISA_TO_EXTEND"))
    return blockers


async def exit_reentry_cancellation_blockers(context: SectorContext, person_id: str) -> list[Blocker]:
    if await _resident(context, person_id) is None:
        return [RULES("NOT_A_RESIDENT")]
    return [] if await cancellable_visa(context, person_id, EXIT_REENTRY) else [RULES("NO_VISA_TO_CANCEL")]


async def final_exit_cancellation_blockers(context: SectorContext, person_id: str) -> list[Blocker]:
    iqama = await _resident(context, person_id)
    if iqama is None:
        return [RULES("NOT_A_RESIDENT")]
    blockers = [] if _iqama_valid(iqama, context.today()) else [RULES("IQAMA_NOT_VALID")]
    if await cancellable_visa(context, person_id, {VisaKind.FINAL_EXIT}) is None:
        blockers.append(RULES("NO_FINAL_EXIT_TO_CANCEL"))
    return blockers


async def _worker(context: SectorContext, person_id: str) -> tuple[Iqama | None, list[Blocker]]:
    """A worker's iqama and what already blocks a change to their sponsorship: none, family
    sponsorship, an iqama not valid, an open absconding report, a final exit issued."""
    iqama = await _resident(context, person_id)
    if iqama is None:
        return None, [RULES("NOT_A_RESIDENT")]
    blockers = [] if iqama.sponsorship is Sponsorship.WORK else [RULES("NOT_WORK_SPONSORSHIP")]
    if not _iqama_valid(iqama, context.today()):
        blockers.append(RULES("IQAMA_NOT_VALID"))
    return iqama, blockers + await _absconding(context, person_id) + await _final_exit_issued(context, person_id)


async def absconding_filing_blockers(context: SectorContext, person_id: str) -> list[Blocker]:
    iqama, blockers = await _worker(context, person_id)
    if iqama is None:
        return blockers
    reports = await context.load(loaders.absconding_reports_by_person, person_id)
    if any(r.filed_by_id == iqama.sponsor_id and r.status is not ReportStatus.OPEN for r in reports):
        blockers.append(RULES("ABSCONDING_ALREADY_REPORTED"))
    return blockers + await _transfer_pending(context, person_id)


async def absconding_cancellation_blockers(context: SectorContext, person_id: str) -> list[Blocker]:
    if await _resident(context, person_id) is None:
        return [RULES("NOT_A_RESIDENT")]
    report = await open_report(context, person_id)
    if report is None:
        return [RULES("NO_OPEN_REPORT")]
    if context.today() - report.filed_on.gregorian > REPORT_CANCEL_WINDOW:
        return [RULES("REPORT_CANCEL_WINDOW_CLOSED")]
    return []


async def transfer_blockers(context: SectorContext, person_id: str) -> list[Blocker]:
    _, blockers = await _worker(context, person_id)
    return blockers


async def passport_renewal_blockers(context: SectorContext, person_id: str) -> list[Blocker]:
    if not person_id.startswith("1"):
        return [RULES("NOT_A_CITIZEN")]
    passports = await context.load(loaders.passports_by_person, person_id)
    renewable = (PassportStatus.VALID, PassportStatus.EXPIRED)
    held = any(p.issuing_country == "SAU" and p.status in renewable for p in passports)
    blockers = [] if held else [RULES("NO_PASSPORT_TO_RENEW")]
    # Unpaid fines suspend a citizen's services, a passport's renewal among them.
    return blockers + await _traffic(context, "traffic.unpaid_violations", person_id)


SPONSOR = frozenset({ActingAs.SPONSOR, ActingAs.ESTABLISHMENT})
"""Besides officers of passports (always): the sponsor named on the iqama, a person or an
establishment (through a user acting for it)."""
RESIDENT_OR_SPONSOR = frozenset({ActingAs.SELF, ActingAs.SPONSOR})
"""Besides officers: the resident themself, or a sponsor who is a person (an establishment's
users are not given these: cancelling a final exit, consenting to a transfer)."""
RESIDENT_OR_ANY_SPONSOR = RESIDENT_OR_SPONSOR | {ActingAs.ESTABLISHMENT}
"""Besides officers: the resident themself, or the sponsor, a person or an establishment."""

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
    description=(
        "Renew an iqama for a year: a valid passport, no open absconding report, medical insurance in force, no "
        "unpaid violations."
    ),
    allow=RESIDENT_OR_ANY_SPONSOR,
    blockers=iqama_renewal_blockers,
    asks=frozenset({"traffic.unpaid_violations"}),
)
ISSUE_FINAL_EXIT_VISA = Service(
    name="ISSUE_FINAL_EXIT_VISA",
    sector="passports",
    description="Issue a final exit visa: a valid iqama and passport, no unpaid violations (dependants' too).",
    allow=RESIDENT_OR_ANY_SPONSOR,
    blockers=final_exit_blockers,
    asks=frozenset({"traffic.unpaid_violations", "traffic.unpaid_violations_of_dependant"}),
)
EXTEND_EXIT_REENTRY_VISA = Service(
    name="EXTEND_EXIT_REENTRY_VISA",
    sector="passports",
    description=(
        "Extend an exit/re-entry visa, the holder abroad or not: a valid iqama and passport, no open absconding "
        "report, a visa ended no more than 60 days ago."
    ),
    allow=SPONSOR,
    blockers=extension_blockers,
)
CANCEL_EXIT_REENTRY_VISA = Service(
    name="CANCEL_EXIT_REENTRY_VISA",
    sector="passports",
    description="Cancel an unused exit/re-entry visa.",
    allow=SPONSOR,
    blockers=exit_reentry_cancellation_blockers,
)
CANCEL_FINAL_EXIT_VISA = Service(
    name="CANCEL_FINAL_EXIT_VISA",
    sector="passports",
    description="Cancel an unused final exit visa: the iqama must be valid.",
    allow=RESIDENT_OR_SPONSOR,
    blockers=final_exit_cancellation_blockers,
)
FILE_ABSCONDING_REPORT = Service(
    name="FILE_ABSCONDING_REPORT",
    sector="passports",
    description=(
        "Report a worker absent from work (huroob): their sponsor, once per worker; a valid iqama, no transfer "
        "under way, no final exit issued."
    ),
    allow=SPONSOR,
    blockers=absconding_filing_blockers,
)
CANCEL_ABSCONDING_REPORT = Service(
    name="CANCEL_ABSCONDING_REPORT",
    sector="passports",
    description="Cancel an open absconding report: its sponsor, within 15 days of filing it.",
    allow=SPONSOR,
    blockers=absconding_cancellation_blockers,
)
RENEW_PASSPORT = Service(
    name="RENEW_PASSPORT",
    sector="passports",
    description="Renew a Saudi passport: the citizen or a guardian; unpaid traffic violations suspend it.",
    allow=frozenset({ActingAs.SELF, ActingAs.GUARDIAN}),
    blockers=passport_renewal_blockers,
    asks=frozenset({"traffic.unpaid_violations"}),
)
TRANSFER_SPONSORSHIP = Service(
    name="TRANSFER_SPONSORSHIP",
    sector="passports",
    description=(
        "Transfer a worker's sponsorship to a new sponsor once the worker, the sponsor and the new sponsor "
        "consent: a valid iqama, no open absconding report, no final exit issued."
    ),
    allow=RESIDENT_OR_SPONSOR,
    blockers=transfer_blockers,
)
