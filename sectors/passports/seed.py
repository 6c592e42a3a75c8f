"""Passports' demo records, drawn deterministically from the shared population."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from hub.contract import SeedContext, SeededPerson
from hub.contract.population import PERSONAS
from sectors.passports.establishments.seed import hand_over
from sectors.passports.models import (
    AbscondingReportRow,
    EstablishmentRow,
    EstablishmentUserRow,
    IqamaRow,
    MedicalInsuranceRow,
    PassportRow,
    TransferRow,
    VisaRow,
)

PROFESSIONS: tuple[tuple[str, str], ...] = (
    ("مهندس مدني", "Civil engineer"),
    ("سائق خاص", "Private driver"),
    ("عامل منزلي", "Domestic worker"),
    ("فني كهربائي", "Electrician"),
    ("محاسب", "Accountant"),
    ("ممرض", "Nurse"),
    ("طباخ", "Cook"),
    ("عامل بناء", "Construction worker"),
    ("مبرمج", "Software developer"),
    ("بائع", "Salesperson"),
)
DEPENDANT = ("تابع", "Dependant")


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


class _Records:
    """The rows drawn so far, and the serial every document number is drawn from, in turn."""

    def __init__(self) -> None:
        self.passports: list[dict[str, Any]] = []
        self.iqamas: list[dict[str, Any]] = []
        self.visas: list[dict[str, Any]] = []
        self.reports: list[dict[str, Any]] = []
        self.serial = 0

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial


async def seed(ctx: SeedContext) -> None:
    records = _Records()
    for person in ctx.population.people:
        if person.kind.value == "citizen" and ctx.rng.random() < 0.3:
            continue  # not every citizen holds a passport
        records.passports.append(_passport(ctx, person, records))
        if person.kind.value == "resident" and person.sponsor_id is not None:
            _residence(ctx, person, records)
        if person.kind.value == "visitor":
            records.visas.append(_visit_visa(ctx, person, records))

    # Drawn after everything else, so the records above stay as they were drawn before insurance existed.
    personas = {persona.id for persona in PERSONAS}
    insured = _insurance(ctx, records.iqamas, personas)
    transfers = _transfers(ctx, records.iqamas, personas)

    establishments, users = hand_over(
        ctx.population, ctx.today, records.iqamas, records.visas, records.reports, transfers
    )

    await ctx.insert(PassportRow.__table__, records.passports)
    await ctx.insert(IqamaRow.__table__, records.iqamas)
    await ctx.insert(VisaRow.__table__, records.visas)
    await ctx.insert(AbscondingReportRow.__table__, records.reports)
    await ctx.insert(MedicalInsuranceRow.__table__, insured)
    await ctx.insert(TransferRow.__table__, transfers)
    await ctx.insert(EstablishmentRow.__table__, establishments)
    await ctx.insert(EstablishmentUserRow.__table__, users)


def _passport(ctx: SeedContext, person: SeededPerson, records: _Records) -> dict[str, Any]:
    rng, today = ctx.rng, ctx.today
    # Residents keep a valid passport (renewed at their embassy) to hold an iqama; citizens' may lapse.
    issued = today - _days(rng.randrange(30, 3600 if person.kind.value == "citizen" else 1700))
    expires = issued + _days(365 * (10 if person.kind.value == "citizen" and person.age_on(today) >= 21 else 5))
    letter = "A" if person.nationality == "SAU" else "P"
    return dict(
        number=f"{letter}{records.next_serial():08d}",
        person_id=person.id,
        issuing_country=person.nationality,
        issued_on=issued,
        expires_on=expires,
        status="valid" if expires >= today else "expired",
    )


def _residence(ctx: SeedContext, person: SeededPerson, records: _Records) -> None:
    """A resident's iqama and the work visa they entered on; for some an exit/re-entry visa, and for
    a few workers an absconding report."""
    rng, today = ctx.rng, ctx.today
    sponsor = ctx.population.by_id.get(person.sponsor_id or "")
    work = sponsor is not None and sponsor.kind.value == "citizen"
    absconding = person is ctx.population.persona("absconding_worker")
    if absconding:
        expires = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    else:
        expires = today + _days(rng.randrange(-90, 700))
    profession = rng.choice(PROFESSIONS) if work else DEPENDANT
    records.iqamas.append(
        dict(
            number=person.id,
            person_id=person.id,
            sponsor_id=person.sponsor_id,
            sponsorship="work" if work else "family",
            profession_ar=profession[0],
            profession_en=profession[1],
            # Iqamas run one or two years; none is issued after today.
            issued_on=expires - _days(365 if expires - _days(365) <= today else 730),
            expires_on=expires,
            status="valid" if expires >= today else "expired",
        )
    )
    entry = expires - _days(365 * rng.randrange(1, 6) + rng.randrange(0, 200))
    records.visas.append(_visa(person, records, "5", "work", "used", (entry - _days(60), entry - _days(60), entry), 90))
    if rng.random() < 0.35:
        start = today + _days(rng.randrange(-400, 60))
        days = rng.choice((30, 60, 90, 180))
        kind = "exit_reentry_multiple" if rng.random() < 0.3 else "exit_reentry_single"
        status = "issued" if start + _days(days) >= today else rng.choice(("used", "expired"))
        records.visas.append(
            _visa(person, records, "6", kind, status, (min(start - _days(3), today), start, start + _days(days)), days)
        )
    if work and (absconding or rng.random() < 0.02):
        records.reports.append(_absconding_report(ctx, person, records, absconding))


def _visa(
    person: SeededPerson,
    records: _Records,
    first_digit: str,
    kind: str,
    status: str,
    dates: tuple[dt.date, dt.date, dt.date],
    allowed_days: int,
) -> dict[str, Any]:
    """A visa's row; `dates` are the day it was issued, the first and the last day it is valid."""
    issued, valid_from, valid_until = dates
    return dict(
        number=f"{first_digit}{records.next_serial():09d}",
        person_id=person.id,
        sponsor_id=person.sponsor_id,
        kind=kind,
        status=status,
        issued_on=issued,
        valid_from=valid_from,
        valid_until=valid_until,
        allowed_days=allowed_days,
    )


def _absconding_report(ctx: SeedContext, person: SeededPerson, records: _Records, absconding: bool) -> dict[str, Any]:
    rng = ctx.rng
    filed = ctx.today - _days(rng.randrange(3, 12) if absconding else rng.randrange(3, 700))
    status = "open" if absconding else rng.choice(("open", "cancelled", "closed"))
    return dict(
        reference=f"HR-{filed.year}-{records.next_serial():06d}",
        person_id=person.id,
        filed_by_id=person.sponsor_id,
        filed_on=filed,
        status=status,
        cancelled_on=filed + _days(rng.randrange(1, 15)) if status == "cancelled" else None,
    )


def _visit_visa(ctx: SeedContext, person: SeededPerson, records: _Records) -> dict[str, Any]:
    start = ctx.today - _days(ctx.rng.randrange(1, 80))
    return _visa(person, records, "7", "visit", "issued", (start - _days(14), start, start + _days(90)), 90)


def _insurance(ctx: SeedContext, iqamas: list[dict[str, Any]], personas: set[str]) -> list[dict[str, Any]]:
    """Every resident's medical insurance; a few lapsed (never a persona's: their stories are set)."""
    rng, today = ctx.rng, ctx.today
    insurers = (("التعاونية للتأمين", "Tawuniya"), ("بوبا العربية", "Bupa Arabia"), ("ميدغلف", "MedGulf"))
    insured: list[dict[str, Any]] = []
    for index, iqama in enumerate(iqamas):
        lapsed = iqama["person_id"] not in personas and rng.random() < 0.08
        until = today + _days(-rng.randrange(1, 200) if lapsed else rng.randrange(20, 400))
        insurer = rng.choice(insurers)
        insured.append(
            dict(
                policy_number=f"MI{index + 1:09d}",
                person_id=iqama["person_id"],
                insurer_ar=insurer[0],
                insurer_en=insurer[1],
                valid_from=until - _days(365),
                valid_until=until,
            )
        )
    return insured


def _transfers(ctx: SeedContext, iqamas: list[dict[str, Any]], personas: set[str]) -> list[dict[str, Any]]:
    """Some workers came to their sponsor by a transfer of sponsorship, all three consents given."""
    rng = ctx.rng
    citizens = [person.id for person in ctx.population.people if person.kind.value == "citizen"]
    transfers: list[dict[str, Any]] = []
    for iqama in iqamas:
        if iqama["sponsorship"] != "work" or iqama["person_id"] in personas or rng.random() >= 0.05:
            continue
        requested = iqama["issued_on"] - _days(rng.randrange(1, 30))
        done = requested + _days(rng.randrange(0, 10))
        transfers.append(
            dict(
                reference=f"TR-{len(transfers) + 1:09d}",
                person_id=iqama["person_id"],
                from_sponsor_id=rng.choice([c for c in citizens[:50] if c != iqama["sponsor_id"]]),
                to_sponsor_id=iqama["sponsor_id"],
                requested_on=requested,
                worker_consented_on=requested,
                sponsor_consented_on=requested + _days(rng.randrange(0, done.toordinal() - requested.toordinal() + 1)),
                new_sponsor_consented_on=done,
                status="done",
                done_on=done,
            )
        )
    return transfers
