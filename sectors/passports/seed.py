"""Passports' demo records, drawn deterministically from the shared population."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from hub.contract import SeedContext
from hub.contract.population import PERSONAS
from sectors.passports.models import (
    AbscondingReportRow,
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


async def seed(ctx: SeedContext) -> None:
    rng, today = ctx.rng, ctx.today
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    passports: list[dict[str, Any]] = []
    iqamas: list[dict[str, Any]] = []
    visas: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    serial = 0

    def next_serial() -> int:
        nonlocal serial
        serial += 1
        return serial

    absconding_worker = ctx.population.persona("absconding_worker")
    for person in ctx.population.people:
        if person.kind.value == "citizen" and rng.random() < 0.3:
            continue  # not every citizen holds a passport
        # Residents keep a valid passport (renewed at their embassy) to hold an iqama; citizens' may lapse.
        issued = today - _days(rng.randrange(30, 3600 if person.kind.value == "citizen" else 1700))
        expires = issued + _days(365 * (10 if person.kind.value == "citizen" and person.age_on(today) >= 21 else 5))
        letter = "A" if person.nationality == "SAU" else "P"
        passports.append(
            dict(
                number=f"{letter}{next_serial():08d}",
                person_id=person.id,
                issuing_country=person.nationality,
                issued_on=issued,
                expires_on=expires,
                status="valid" if expires >= today else "expired",
            )
        )
        if person.kind.value == "resident" and person.sponsor_id is not None:
            work = ctx.population.by_id.get(person.sponsor_id) is not None and (
                ctx.population.by_id[person.sponsor_id].kind.value == "citizen"
            )
            if person is absconding_worker:
                expires_iqama = month_end
            else:
                expires_iqama = today + _days(rng.randrange(-90, 700))
            profession = rng.choice(PROFESSIONS) if work else DEPENDANT
            iqamas.append(
                dict(
                    number=person.id,
                    person_id=person.id,
                    sponsor_id=person.sponsor_id,
                    sponsorship="work" if work else "family",
                    profession_ar=profession[0],
                    profession_en=profession[1],
                    # Iqamas run one or two years; none is issued after today.
                    issued_on=expires_iqama - _days(365 if expires_iqama - _days(365) <= today else 730),
                    expires_on=expires_iqama,
                    status="valid" if expires_iqama >= today else "expired",
                )
            )
            entry = expires_iqama - _days(365 * rng.randrange(1, 6) + rng.randrange(0, 200))
            visas.append(
                dict(
                    number=f"5{next_serial():09d}",
                    person_id=person.id,
                    sponsor_id=person.sponsor_id,
                    kind="work",
                    status="used",
                    issued_on=entry - _days(60),
                    valid_from=entry - _days(60),
                    valid_until=entry,
                    allowed_days=90,
                )
            )
            if rng.random() < 0.35:
                start = today + _days(rng.randrange(-400, 60))
                days = rng.choice((30, 60, 90, 180))
                kind = "exit_reentry_multiple" if rng.random() < 0.3 else "exit_reentry_single"
                visas.append(
                    dict(
                        number=f"6{next_serial():09d}",
                        person_id=person.id,
                        sponsor_id=person.sponsor_id,
                        kind=kind,
                        status="issued" if start + _days(days) >= today else rng.choice(("used", "expired")),
                        issued_on=min(start - _days(3), today),
                        valid_from=start,
                        valid_until=start + _days(days),
                        allowed_days=days,
                    )
                )
            if work and (person is absconding_worker or rng.random() < 0.02):
                filed = today - _days(rng.randrange(3, 12) if person is absconding_worker else rng.randrange(3, 700))
                status = "open" if person is absconding_worker else rng.choice(("open", "cancelled", "closed"))
                reports.append(
                    dict(
                        reference=f"HR-{filed.year}-{next_serial():06d}",
                        person_id=person.id,
                        filed_by_id=person.sponsor_id,
                        filed_on=filed,
                        status=status,
                        cancelled_on=filed + _days(rng.randrange(1, 15)) if status == "cancelled" else None,
                    )
                )
        if person.kind.value == "visitor":
            start = today - _days(rng.randrange(1, 80))
            visas.append(
                dict(
                    number=f"7{next_serial():09d}",
                    person_id=person.id,
                    sponsor_id=person.sponsor_id,
                    kind="visit",
                    status="issued",
                    issued_on=start - _days(14),
                    valid_from=start,
                    valid_until=start + _days(90),
                    allowed_days=90,
                )
            )

    # Drawn after everything else, so the records above stay as they were drawn before insurance existed.
    insurers = (("التعاونية للتأمين", "Tawuniya"), ("بوبا العربية", "Bupa Arabia"), ("ميدغلف", "MedGulf"))
    insured: list[dict[str, Any]] = []
    personas = {persona.id for persona in PERSONAS}
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
    # Some workers came to their sponsor by a transfer of sponsorship, all three consents given.
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

    await ctx.insert(PassportRow.__table__, passports)
    await ctx.insert(IqamaRow.__table__, iqamas)
    await ctx.insert(VisaRow.__table__, visas)
    await ctx.insert(AbscondingReportRow.__table__, reports)
    await ctx.insert(MedicalInsuranceRow.__table__, insured)
    await ctx.insert(TransferRow.__table__, transfers)
