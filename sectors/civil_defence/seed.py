"""Civil defence's demo records, drawn deterministically from the shared population."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.contract import SeedContext, SeededPerson
from sectors.civil_defence.models import IncidentReportRow, SafetyPermitRow

DISTRICTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Riyadh", ("Al Olaya", "Al Malaz", "Al Nakheel", "Al Yasmin", "Al Naseem", "Al Suwaidi", "Al Rawdah")),
    ("Jeddah", ("Al Hamra", "Al Rawdah", "Al Safa", "Al Balad", "Al Marwah", "Al Naeem")),
    ("Makkah", ("Al Aziziyah", "Al Awali", "Al Shoqiyah", "Al Zahir")),
    ("Madinah", ("Quba", "Al Aziziyah", "Al Khalidiyah", "Al Iskan")),
    ("Dammam", ("Al Faisaliyah", "Al Shati", "Al Muraikabat", "Al Badiyah")),
    ("Khobar", ("Al Ulaya", "Al Aqrabiyah", "Al Thuqbah")),
    ("Abha", ("Al Manhal", "Al Mansak", "Al Khaldiyah")),
    ("Tabuk", ("Al Muruj", "Al Faisaliyah", "Al Rawdah")),
)

# Weights follow what households report most: kitchen fires and gas leaks, then wiring faults.
KINDS: tuple[tuple[str, int], ...] = (
    ("fire", 30),
    ("gas_leak", 18),
    ("electrical", 16),
    ("rescue", 12),
    ("flood", 8),
    ("hazardous_materials", 4),
    ("other", 12),
)
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "fire": (
        "Kitchen fire at home, smoke in the stairwell.",
        "Fire in a parked car next to the building.",
        "Smoke coming from a neighbour's flat.",
    ),
    "gas_leak": ("Strong smell of gas from the kitchen cylinder.", "Gas smell in the building's entrance."),
    "electrical": ("Sparks from the main distribution board.", "Air-conditioning unit caught fire briefly."),
    "rescue": ("A child locked inside a car.", "People stuck in a lift between floors."),
    "flood": ("Rainwater flooding the street and the ground floor.", "Car stuck in a flooded underpass."),
    "hazardous_materials": ("Leaking drums of chemicals behind a warehouse.",),
    "other": ("A cracked wall in the building is getting wider.", "Fallen billboard blocking the road."),
}
ESTABLISHMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "retail": (("أسواق {ar}", "{en} Markets"), ("مؤسسة {ar} التجارية", "{en} Trading Est.")),
    "warehouse": (("مستودعات {ar}", "{en} Warehouses"),),
    "restaurant": (("مطعم {ar}", "{en} Restaurant"), ("مطابخ {ar}", "{en} Kitchens")),
    "workshop": (("ورشة {ar} للسيارات", "{en} Auto Workshop"),),
    "office": (("مكتب {ar} العقاري", "{en} Real Estate Office"),),
    "hotel": (("فندق {ar}", "{en} Hotel"),),
}
PERMIT_YEARS = 1
REPORTING_ADULTS = 0.02
OWNING_ADULT_CITIZENS = 0.057  # about 3 % of all citizens once minors are counted


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


class _Drawn:
    """The reports and permits drawn so far, with the serial numbers handed out to them."""

    def __init__(self, ctx: SeedContext) -> None:
        self.rng, self.today = ctx.rng, ctx.today
        self.reports: list[dict[str, Any]] = []
        self.permits: list[dict[str, Any]] = []
        self.serial = 0

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial

    def place(self) -> tuple[str, str]:
        city, districts = self.rng.choice(DISTRICTS)
        return city, self.rng.choice(districts)

    def report(self, person_id: str, kind: str, reported: dt.date, status: str, description: str | None = None) -> None:
        city, district = self.place()
        self.reports.append(
            dict(
                reference=f"CD-{reported:%Y%m%d}-{self.next_serial():08d}",
                person_id=person_id,
                kind=kind,
                city=city,
                district=district,
                description=description or self.rng.choice(DESCRIPTIONS[kind]),
                reported_on=reported,
                status=status,
            )
        )

    def permit(
        self,
        owner_id: str,
        family: tuple[str, str],
        issued: dt.date,
        status: str | None = None,
        kind: str | None = None,
    ) -> None:
        kind = kind or self.rng.choice(tuple(ESTABLISHMENTS))
        name_ar, name_en = self.rng.choice(ESTABLISHMENTS[kind])
        expires = issued + _days(365 * PERMIT_YEARS)
        self.permits.append(
            dict(
                number=f"SL{issued:%y}{self.next_serial():08d}",
                owner_id=owner_id,
                establishment_name_ar=name_ar.format(ar=family[0]),
                establishment_name_en=name_en.format(en=family[1]),
                establishment_kind=kind,
                city=self.place()[0],
                issued_on=issued,
                expires_on=expires,
                status=status or ("valid" if expires >= self.today else "expired"),
            )
        )


async def seed(ctx: SeedContext) -> None:
    rng, today = ctx.rng, ctx.today
    drawn = _Drawn(ctx)
    population = ctx.population
    family_head = population.persona("family_head")
    sponsor = population.persona("sponsor")
    unpaid = population.persona("unpaid_violations")
    personas = {family_head.id, sponsor.id, unpaid.id}
    for person in population.people:
        family = (person.name_ar.split()[-1], person.name_en.split()[-1])
        if person is family_head:
            drawn.report(
                person.id, "fire", today - _days(210), "closed", "Kitchen fire in our house; the family got out."
            )
            drawn.permit(person.id, family, today - _days(120), "valid", "restaurant")
        elif person is sponsor:
            drawn.permit(person.id, family, today - _days(90), "valid", "warehouse")
            drawn.permit(person.id, family, today - _days(430), "expired", "retail")
        elif person is unpaid:
            drawn.report(person.id, "gas_leak", today - _days(1), "open", "Gas smell in the building's entrance.")
        if person.id in personas or person.age_on(today) < 18:
            continue
        if rng.random() < REPORTING_ADULTS:
            _reports(drawn, person)
        if person.kind.value == "citizen" and person.age_on(today) >= 21 and rng.random() < OWNING_ADULT_CITIZENS:
            for _ in range(1 if rng.random() < 0.75 else 2):
                permit_status = "suspended" if rng.random() < 0.04 else None
                drawn.permit(person.id, family, today - _days(rng.randrange(0, 450)), permit_status)

    await ctx.insert(IncidentReportRow.__table__, drawn.reports)
    await ctx.insert(SafetyPermitRow.__table__, drawn.permits)


def _reports(drawn: _Drawn, person: SeededPerson) -> None:
    """One or two incidents an adult reported, of kinds drawn by how often they happen."""
    rng = drawn.rng
    for _ in range(1 if rng.random() < 0.8 else 2):
        age = rng.randrange(0, 900)
        status = "closed" if age > 3 else rng.choice(("open", "dispatched", "closed"))
        drawn.report(person.id, rng.choices(_KINDS, _WEIGHTS)[0], drawn.today - _days(age), status)


_KINDS = [kind for kind, _ in KINDS]
_WEIGHTS = [weight for _, weight in KINDS]
