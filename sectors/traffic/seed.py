"""Traffic's demo records, drawn deterministically from the shared population."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from hub.contract import SeedContext
from sectors.traffic.models import AccidentReportRow, DrivingLicenceRow, VehicleRow, VehicleTransferRow, ViolationRow
from sectors.traffic.types import PLATE_LETTERS

Row = dict[str, Any]
H = TypeVar("H", bound=Hashable)

CITIES: tuple[tuple[str, str], ...] = (
    ("الرياض", "Riyadh"),
    ("جدة", "Jeddah"),
    ("مكة المكرمة", "Makkah"),
    ("المدينة المنورة", "Madinah"),
    ("الدمام", "Dammam"),
    ("الخبر", "Khobar"),
    ("الطائف", "Taif"),
    ("تبوك", "Tabuk"),
    ("بريدة", "Buraydah"),
    ("أبها", "Abha"),
    ("حائل", "Hail"),
    ("جازان", "Jazan"),
    ("نجران", "Najran"),
    ("الأحساء", "Al-Ahsa"),
)
CITY_WEIGHTS = (30, 20, 8, 7, 8, 4, 4, 3, 3, 3, 2, 2, 2, 4)

# (low, high) fine in SAR, multiples of 50; seed data after the published ranges, not law.
FINES: Mapping[str, tuple[int, int]] = {
    "speeding": (150, 2000),
    "red_light": (3000, 6000),
    "parking": (100, 300),
    "mobile_use": (500, 900),
    "seatbelt": (150, 300),
    "expired_registration": (100, 300),
    "no_insurance": (100, 150),
    "wrong_way": (3000, 6000),
    "reckless_driving": (1000, 2000),
}
KIND_WEIGHTS: Mapping[str, int] = {
    "speeding": 40,
    "parking": 18,
    "seatbelt": 10,
    "mobile_use": 10,
    "expired_registration": 7,
    "red_light": 5,
    "no_insurance": 5,
    "wrong_way": 3,
    "reckless_driving": 2,
}
OBJECTION_REASONS: tuple[str, ...] = (
    "لم أكن أقود المركبة في ذلك الوقت.",
    "The vehicle had been sold before that day.",
    "السرعة المسجلة غير صحيحة.",
    "The parking bay was not marked as restricted.",
    "The plate was misread; my vehicle was in another city.",
)

MODELS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "private": (
        ("Toyota", "Camry"),
        ("Toyota", "Land Cruiser"),
        ("Toyota", "Corolla"),
        ("Toyota", "Yaris"),
        ("Hyundai", "Accent"),
        ("Hyundai", "Elantra"),
        ("Hyundai", "Tucson"),
        ("Nissan", "Patrol"),
        ("Nissan", "Sunny"),
        ("Kia", "K5"),
        ("Kia", "Sportage"),
        ("Chevrolet", "Tahoe"),
        ("GMC", "Yukon"),
        ("Ford", "Taurus"),
        ("Lexus", "LX 600"),
        ("Mazda", "CX-5"),
        ("Changan", "CS35"),
        ("MG", "5"),
    ),
    "taxi": (("Toyota", "Camry"), ("Hyundai", "Sonata"), ("Hyundai", "Elantra")),
    "public_transport": (("Toyota", "Coaster"), ("Hyundai", "County")),
    "commercial": (("Isuzu", "NPR"), ("Hino", "300"), ("Toyota", "Hilux"), ("Mitsubishi", "Canter")),
}
PLATE_KIND_WEIGHTS: Mapping[str, int] = {"private": 90, "commercial": 6, "taxi": 3, "public_transport": 1}

# Share of adults holding a licence, by (kind, sex).
LICENCE_RATE: Mapping[tuple[str, str], float] = {
    ("citizen", "male"): 0.9,
    ("citizen", "female"): 0.55,
    ("resident", "male"): 0.65,
    ("resident", "female"): 0.2,
}
LICENCE_YEARS: Mapping[str, int] = {"citizen": 10, "resident": 5}
WOMEN_DRIVE_FROM = dt.date(2018, 6, 24)  # the day women's licences took effect
ADULT = 18
VEHICLE_OWNERS = 0.4
ACCIDENT_RATE = 0.07  # of licensed or vehicle-owning adults: about 3 % of everyone
PERSONA_VEHICLES: Mapping[str, int] = {"sponsor": 3, "family_head": 2, "unpaid_violations": 1}
LICENSED_PERSONAS = frozenset({"sponsor", "family_head", "unpaid_violations", "absconding_worker"})


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def _years(n: int) -> dt.timedelta:
    return dt.timedelta(days=365 * n + n // 4)


def _unique(draw: Callable[[], H]) -> Callable[[], H]:
    taken: set[H] = set()

    def next_value() -> H:
        value = draw()
        while value in taken:
            value = draw()
        taken.add(value)
        return value

    return next_value


class _Draw:
    """The seed's random choices, all from the sector's own rng."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.licence_number = _unique(lambda: str(rng.randrange(10**9, 10**10)))
        self.sequence_number = _unique(lambda: str(rng.randrange(10**8, 10**9)))
        self.violation_number = _unique(lambda: str(rng.randrange(10**9, 10**10)))
        letters = tuple(PLATE_LETTERS)
        self.plate = _unique(lambda: ("".join(rng.choices(letters, k=3)), str(rng.randrange(1, 10_000))))

    def city(self) -> tuple[str, str]:
        return self.rng.choices(CITIES, weights=CITY_WEIGHTS)[0]

    def weighted(self, weights: Mapping[str, int]) -> str:
        return self.rng.choices(tuple(weights), weights=tuple(weights.values()))[0]

    def fine(self, kind: str) -> int:
        low, high = FINES[kind]
        return self.rng.randrange(low, high + 1, 50)


async def seed(ctx: SeedContext) -> None:
    rng, today = ctx.rng, ctx.today
    draw = _Draw(rng)
    licences: list[Row] = []
    vehicles: list[Row] = []
    violations: list[Row] = []
    reports: list[Row] = []

    for person in ctx.population.people:
        kind, persona = person.kind.value, person.persona
        if kind == "visitor" or person.age_on(today) < ADULT:
            continue  # visitors drive on foreign or international licences, which Muroor does not hold
        licensed = persona in LICENSED_PERSONAS or rng.random() < LICENCE_RATE[(kind, person.sex.value)]
        if licensed:
            earliest = person.birth_on + _years(ADULT)
            if person.sex.value == "female":
                earliest = max(earliest, WOMEN_DRIVE_FROM)
            licences.append(_licence(draw, today, person.id, kind, earliest, keep_valid=persona is not None))
        owned = PERSONA_VEHICLES.get(persona or "", 0)
        if not owned and persona is None and rng.random() < VEHICLE_OWNERS:
            owned = rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
        own = [_vehicle(draw, today, person.id, private=persona is not None) for _ in range(owned)]
        vehicles.extend(own)
        fines: list[Row] = []
        if persona == "unpaid_violations":
            fines = _unpaid_persona_violations(draw, today, person.id)
        elif licensed or owned:
            count = rng.choices(range(6), weights=(45, 20, 14, 10, 6, 5))[0]
            fines = [_violation(draw, today, person.id) for _ in range(count)]
        # A camera records the plate: an owner's fines are against their first vehicle (no draw,
        # so the rest of the seed stays as it was).
        violations.extend(
            fine | {"vehicle_sequence_number": own[0]["sequence_number"] if own else None} for fine in fines
        )
        if persona == "absconding_worker":
            reports.append(_accident(draw, today, person.id, len(reports), days_ago=20, handled_by="muroor"))
        elif persona is None and (licensed or owned) and rng.random() < ACCIDENT_RATE:
            for _ in range(1 if rng.random() < 0.9 else 2):
                reports.append(_accident(draw, today, person.id, len(reports)))

    personas = ctx.population.persona
    transfers = _transfers(draw, today, vehicles, personas("sponsor").id, personas("family_head").id)
    await ctx.insert(DrivingLicenceRow.__table__, licences)
    await ctx.insert(VehicleRow.__table__, vehicles)
    await ctx.insert(VehicleTransferRow.__table__, transfers)
    await ctx.insert(ViolationRow.__table__, violations)
    await ctx.insert(AccidentReportRow.__table__, reports)


SOLD_SHARE = 0.05  # vehicles bought from another owner within the last two years


def _transfers(draw: _Draw, today: dt.date, vehicles: list[Row], seller: str, buyer: str) -> list[Row]:
    """Past sales (the buyer owns the vehicle now), and the sponsor's newest vehicle offered to the
    family head, pending (drawn after everything else, so the rest of the seed stays as it was)."""
    rng = draw.rng
    owners = sorted({vehicle["owner_id"] for vehicle in vehicles})
    transfers: list[Row] = []
    for vehicle in vehicles:
        if rng.random() >= SOLD_SHARE or len(owners) < 2:
            continue
        previous = rng.choice(owners)
        while previous == vehicle["owner_id"]:
            previous = rng.choice(owners)
        offered = today - _days(rng.randrange(3, 730))
        transfers.append(
            dict(
                reference=f"VT{len(transfers) + 1:010d}",
                sequence_number=vehicle["sequence_number"],
                seller_id=previous,
                buyer_id=vehicle["owner_id"],
                offered_on=offered,
                status="completed",
                completed_on=offered + _days(rng.randrange(0, 3)),
            )
        )
    sellers = [vehicle for vehicle in vehicles if vehicle["owner_id"] == seller]
    if sellers:
        transfers.append(
            dict(
                reference=f"VT{len(transfers) + 1:010d}",
                sequence_number=sellers[-1]["sequence_number"],
                seller_id=seller,
                buyer_id=buyer,
                offered_on=today - _days(1),
                status="pending",
                completed_on=None,
            )
        )
    return transfers


def _licence(draw: _Draw, today: dt.date, person_id: str, kind: str, earliest: dt.date, *, keep_valid: bool) -> Row:
    rng = draw.rng
    years = LICENCE_YEARS[kind]
    # Personas hold a licence valid today; others were issued up to two years past its validity.
    span = min(365 * (years - 1 if keep_valid else years + 2), (today - earliest).days)
    issued = today - _days(rng.randrange(max(span, 1)))
    expires = issued + _years(years)
    if expires < today:
        status = "expired"
    else:
        status = "suspended" if not keep_valid and rng.random() < 0.02 else "valid"
    classes = (
        {"private": 90, "motorcycle": 4, "heavy": 3, "public": 3}
        if kind == "citizen"
        else {"private": 80, "public": 8, "heavy": 7, "motorcycle": 5}
    )
    return dict(
        number=draw.licence_number(),
        person_id=person_id,
        licence_class="private" if keep_valid else draw.weighted(classes),
        issued_on=issued,
        expires_on=expires,
        status=status,
    )


def _vehicle(draw: _Draw, today: dt.date, owner_id: str, *, private: bool) -> Row:
    rng = draw.rng
    plate_kind = "private" if private else draw.weighted(PLATE_KIND_WEIGHTS)
    make, model = rng.choice(MODELS[plate_kind])
    letters, digits = draw.plate()
    registration_expires = today + _days(rng.randrange(-240, 3 * 365))
    insurance = "insured" if private else rng.choices(("insured", "expired", "uninsured"), weights=(82, 11, 7))[0]
    return dict(
        sequence_number=draw.sequence_number(),
        owner_id=owner_id,
        plate_letters=letters,
        plate_digits=digits,
        plate_kind=plate_kind,
        make=make,
        model=model,
        model_year=today.year - rng.randrange(0, 16),
        registration_expires_on=registration_expires,
        insurance_status=insurance,
    )


def _violation(
    draw: _Draw,
    today: dt.date,
    person_id: str,
    *,
    days_ago: int | None = None,
    kind: str | None = None,
    status: str | None = None,
) -> Row:
    rng = draw.rng
    days_ago = days_ago if days_ago is not None else rng.randrange(1, 900)
    kind = kind or draw.weighted(KIND_WEIGHTS)
    if status is None:
        # Recent fines are mostly still unpaid; old ones mostly paid.
        weights = (75, 20, 5) if days_ago <= 30 else (12, 82, 6)
        status = rng.choices(("unpaid", "paid", "objected"), weights=weights)[0]
    committed = today - _days(days_ago)
    objected = committed + _days(rng.randint(1, min(30, days_ago))) if status == "objected" else None
    city_ar, city_en = draw.city()
    return dict(
        number=draw.violation_number(),
        person_id=person_id,
        kind=kind,
        city_ar=city_ar,
        city_en=city_en,
        committed_on=committed,
        fine_sar=draw.fine(kind),
        due_on=committed + _days(30),
        status=status,
        objected_on=objected,
        objection_reason=rng.choice(OBJECTION_REASONS) if objected else None,
    )


def _unpaid_persona_violations(draw: _Draw, today: dt.date, person_id: str) -> list[Row]:
    """Unpaid fines within the objection window, unpaid ones long overdue, and a paid one."""
    return [
        _violation(draw, today, person_id, days_ago=4, kind="speeding", status="unpaid"),
        _violation(draw, today, person_id, days_ago=18, kind="mobile_use", status="unpaid"),
        _violation(draw, today, person_id, days_ago=75, kind="red_light", status="unpaid"),
        _violation(draw, today, person_id, days_ago=160, kind="parking", status="unpaid"),
        _violation(draw, today, person_id, days_ago=240, kind="seatbelt", status="paid"),
    ]


def _accident(
    draw: _Draw,
    today: dt.date,
    person_id: str,
    serial: int,
    *,
    days_ago: int | None = None,
    handled_by: str | None = None,
) -> Row:
    rng = draw.rng
    days_ago = days_ago if days_ago is not None else rng.randrange(1, 730)
    handled_by = handled_by or ("najm" if rng.random() < 0.8 else "muroor")
    if days_ago <= 30:
        status = "open"
    elif days_ago <= 90:
        status = rng.choice(("open", "under_review", "closed"))
    else:
        status = "closed" if rng.random() < 0.88 else "under_review"
    occurred = today - _days(days_ago)
    city_ar, city_en = draw.city()
    prefix = "NJM" if handled_by == "najm" else "MRR"
    return dict(
        report_number=f"{prefix}-{occurred.year}-{serial + 1:06d}",
        person_id=person_id,
        occurred_on=occurred,
        city_ar=city_ar,
        city_en=city_en,
        handled_by=handled_by,
        status=status,
        fault_percent=rng.choice((0, 25, 50, 75, 100)) if status == "closed" else None,
        closed_on=occurred + _days(rng.randint(2, min(60, days_ago))) if status == "closed" else None,
    )
