"""Civil affairs' demo records, drawn deterministically from the shared population."""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass
from typing import Any

from hub.contract import SeedContext
from sectors.civil_affairs.models import (
    BirthRow,
    DeathRow,
    FamilyMemberRow,
    FamilyRegisterRow,
    IdCardRow,
    NationalAddressRow,
)

NamePart = tuple[str, str]  # (Arabic, English)


@dataclass(frozen=True)
class City:
    name: NamePart
    letter: str  # first letter of its short addresses here; Saudi Post's own letter codes are not modelled
    postal_codes: range  # its postal codes (the first digit is the postal region)
    weight: int  # its share of the population, roughly
    districts: tuple[NamePart, ...]


CITIES: tuple[City, ...] = (
    City(
        ("الرياض", "Riyadh"),
        "R",
        range(11000, 15000),
        30,
        (
            ("العليا", "Al Olaya"),
            ("الملقا", "Al Malqa"),
            ("النخيل", "Al Nakheel"),
            ("الياسمين", "Al Yasmin"),
            ("الروضة", "Al Rawdah"),
            ("السويدي", "Al Suwaidi"),
        ),
    ),
    City(
        ("جدة", "Jeddah"),
        "J",
        range(21000, 24000),
        18,
        (
            ("الروضة", "Al Rawdah"),
            ("الصفا", "Al Safa"),
            ("الحمراء", "Al Hamra"),
            ("الزهراء", "Al Zahra"),
            ("السلامة", "Al Salamah"),
        ),
    ),
    City(
        ("مكة المكرمة", "Makkah"),
        "M",
        range(24000, 25000),
        9,
        (("العزيزية", "Al Aziziyah"), ("الشوقية", "Al Shawqiyah"), ("النسيم", "Al Naseem")),
    ),
    City(
        ("المدينة المنورة", "Madinah"),
        "A",
        range(42000, 43000),
        7,
        (("قباء", "Quba"), ("العزيزية", "Al Aziziyah"), ("العوالي", "Al Awali")),
    ),
    City(
        ("الدمام", "Dammam"),
        "D",
        range(31000, 33000),
        8,
        (("الفيصلية", "Al Faisaliyah"), ("الشاطئ", "Al Shati"), ("المزروعية", "Al Mazruiyah")),
    ),
    City(
        ("الخبر", "Al Khobar"),
        "K",
        range(34000, 35000),
        4,
        (("العقربية", "Al Aqrabiyah"), ("الثقبة", "Al Thuqbah"), ("الراكة", "Al Rakah")),
    ),
    City(("بريدة", "Buraydah"), "Q", range(52000, 53000), 4, (("الصفراء", "Al Safra"), ("الريان", "Al Rayyan"))),
    City(("أبها", "Abha"), "S", range(62000, 63000), 3, (("المنسك", "Al Mansak"), ("الخالدية", "Al Khalidiyah"))),
    City(("تبوك", "Tabuk"), "T", range(47000, 48000), 3, (("المروج", "Al Muruj"), ("الفيصلية", "Al Faisaliyah"))),
)
CITY_WEIGHTS = tuple(city.weight for city in CITIES)

STREETS: tuple[NamePart, ...] = (
    ("طريق الملك فهد", "King Fahd Road"),
    ("طريق الملك عبدالعزيز", "King Abdulaziz Road"),
    ("شارع الأمير سلطان", "Prince Sultan Street"),
    ("شارع عمر بن الخطاب", "Omar Ibn Al Khattab Street"),
    ("شارع عثمان بن عفان", "Othman Ibn Affan Street"),
    ("شارع أبي بكر الصديق", "Abu Bakr Al Siddiq Street"),
    ("شارع التحلية", "Al Tahlia Street"),
    ("شارع الستين", "Al Sitteen Street"),
    ("شارع الأمير محمد بن عبدالعزيز", "Prince Mohammed Bin Abdulaziz Street"),
)

# Where residents and visitors born abroad were born, by nationality (ISO 3166-1 alpha-3).
CITIES_ABROAD: dict[str, tuple[NamePart, ...]] = {
    "IND": (("مومباي", "Mumbai"), ("كوتشي", "Kochi")),
    "PAK": (("كراتشي", "Karachi"), ("لاهور", "Lahore")),
    "BGD": (("دكا", "Dhaka"),),
    "EGY": (("القاهرة", "Cairo"), ("الإسكندرية", "Alexandria")),
    "PHL": (("مانيلا", "Manila"), ("سيبو", "Cebu")),
    "YEM": (("صنعاء", "Sanaa"),),
    "SDN": (("الخرطوم", "Khartoum"),),
    "IDN": (("جاكرتا", "Jakarta"),),
    "NPL": (("كاتماندو", "Kathmandu"),),
}

ADULT_AGE = 18
ELDERLY_AGE = 60
DEATH_SHARE = 0.005
CARD_MANDATORY_AGE = 15
CARD_OPTIONAL_AGE = 10
CARD_EARLY_SHARE = 0.3  # children 10-15 whose guardian asked for an optional card
CARD_VALIDITY = dt.timedelta(days=3543)  # ten Umm al-Qura years: the card's term is counted in Hijri years
CARD_LOST_SHARE = 0.04  # cards replaced before expiry after a loss or damage
CARD_RENEWAL_WINDOW = 180  # days before expiry a card may be renewed (docs/domain.md §1.4)


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


def _between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + _days(rng.randrange(max(0, (last - first).days) + 1))


def _city(rng: random.Random) -> City:
    return rng.choices(CITIES, weights=CITY_WEIGHTS)[0]


def _address(rng: random.Random, today: dt.date) -> tuple[City, dict[str, Any]]:
    """A plausible national address; the short address ends with the building number, as Saudi Post's do."""
    city = _city(rng)
    district, street = rng.choice(city.districts), rng.choice(STREETS)
    building = f"{rng.randrange(1000, 10000)}"
    letters = city.letter + "".join(rng.choice(string.ascii_uppercase) for _ in range(3))
    return city, dict(
        building_number=building,
        street_ar=street[0],
        street_en=street[1],
        district_ar=district[0],
        district_en=district[1],
        city_ar=city.name[0],
        city_en=city.name[1],
        postal_code=f"{rng.choice(city.postal_codes)}",
        additional_number=f"{rng.randrange(1000, 10000)}",
        short_address=letters + building,
        updated_on=today - _days(rng.randrange(30, 6 * 365)),
    )


def _id_cards(
    rng: random.Random, person_id: str, birth_on: dt.date, today: dt.date, died_on: dt.date | None
) -> list[dict[str, Any]]:
    """A citizen's card versions: the first at 15 (or optionally from 10), then renewals and replacements."""
    last_day = died_on or today
    if _add_years(birth_on, CARD_OPTIONAL_AGE) <= last_day and rng.random() < CARD_EARLY_SHARE:
        issued = _between(
            rng, _add_years(birth_on, CARD_OPTIONAL_AGE), min(_add_years(birth_on, CARD_MANDATORY_AGE), last_day)
        )
    elif _add_years(birth_on, CARD_MANDATORY_AGE) <= last_day:
        issued = min(_add_years(birth_on, CARD_MANDATORY_AGE) + _days(rng.randrange(0, 180)), last_day)
    else:
        return []
    cards: list[dict[str, Any]] = []
    while True:
        expires = issued + CARD_VALIDITY
        if rng.random() < CARD_LOST_SHARE:
            successor = issued + _days(rng.randrange(30, CARD_VALIDITY.days - CARD_RENEWAL_WINDOW))
        elif rng.random() < 0.9:
            successor = expires - _days(rng.randrange(0, CARD_RENEWAL_WINDOW))
        else:  # renewed late, after months without a valid card
            successor = expires + _days(rng.randrange(1, 400))
        current = successor > last_day
        cards.append(
            dict(
                person_id=person_id,
                version=len(cards) + 1,
                issued_on=issued,
                expires_on=expires,
                status=("valid" if expires >= today else "expired") if current else "replaced",
            )
        )
        if current:
            return cards
        issued = successor


def _died_on(ctx: SeedContext) -> dict[str, dt.date]:
    """The elderly who died, and when; never of a persona's family."""
    rng, today, population = ctx.rng, ctx.today, ctx.population
    # The personas' families stay whole and alive: the demo's guardian story depends on them.
    persona_households = {p.household for p in population.people if p.persona is not None and p.household is not None}
    elderly = [
        p
        for p in population.people
        if p.age_on(today) >= ELDERLY_AGE and p.persona is None and p.household not in persona_households
    ]
    deceased = [p for p in elderly if rng.random() < DEATH_SHARE]
    if not deceased and elderly:  # at least one, so the demo can show a refusal for a deceased person
        deceased = [rng.choice(elderly)]
    return {p.id: today - _days(rng.randrange(1, 3 * 365)) for p in deceased}


async def seed(ctx: SeedContext) -> None:
    rng, today, population = ctx.rng, ctx.today, ctx.population
    died_on = _died_on(ctx)
    homes: dict[int, tuple[City, dict[str, Any]]] = {}

    def home_of(household: int | None) -> tuple[City, dict[str, Any]]:
        if household is None:
            return _address(rng, today)
        if household not in homes:
            homes[household] = _address(rng, today)
        return homes[household]

    cards: list[dict[str, Any]] = []
    births: list[dict[str, Any]] = []
    deaths: list[dict[str, Any]] = []
    addresses: list[dict[str, Any]] = []
    for person in population.people:
        born_in_kingdom = person.kind.value == "citizen" or person.father_id is not None
        if born_in_kingdom:
            city = (home_of(person.household)[0] if person.father_id is not None else _city(rng)).name
            country: str = "SAU"
            place: NamePart | None = city
        else:
            country = person.nationality
            abroad = CITIES_ABROAD.get(person.nationality)
            place = rng.choice(abroad) if abroad else None
        births.append(
            dict(
                person_id=person.id,
                born_on=person.birth_on,
                country=country,
                city_ar=place[0] if place else None,
                city_en=place[1] if place else None,
                father_id=person.father_id,
                mother_id=person.mother_id,
            )
        )
        death = died_on.get(person.id)
        if death is not None:
            city = (home_of(person.household)[0] if person.kind.value != "visitor" else _city(rng)).name
            deaths.append(dict(person_id=person.id, died_on=death, city_ar=city[0], city_en=city[1]))
        if person.kind.value == "citizen":
            cards.extend(_id_cards(rng, person.id, person.birth_on, today, death))
        # Visitors cannot register a national address: it needs a national ID or an iqama.
        if person.kind.value != "visitor" and person.age_on(today) >= ADULT_AGE:
            addresses.append(dict(person_id=person.id, **home_of(person.household)[1]))

    registers, members = _family_registers(ctx)
    await ctx.insert(IdCardRow.__table__, cards)
    await ctx.insert(FamilyRegisterRow.__table__, registers)
    await ctx.insert(FamilyMemberRow.__table__, members)
    await ctx.insert(BirthRow.__table__, births)
    await ctx.insert(DeathRow.__table__, deaths)
    await ctx.insert(NationalAddressRow.__table__, addresses)


def _family_registers(ctx: SeedContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A register for each citizen household, and its members: the head, his wives, his children."""
    rng, today = ctx.rng, ctx.today
    registers: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    for household in ctx.population.households.values():
        if not household or household[0].kind.value != "citizen":
            continue  # residents' families are dependants on an iqama, not a civil register
        head = household[0]  # the generator adds the father first; a cut household keeps him
        children = [m for m in household if m.father_id == head.id]
        wives = [m for m in household if m is not head and m.father_id != head.id]
        first_day = max([_add_years(head.birth_on, 20), *(_add_years(w.birth_on, ADULT_AGE) for w in wives)])
        last_day = min([today, *(c.birth_on - _days(300) for c in children)])
        issued = _between(rng, first_day, last_day) if first_day <= last_day else last_day
        number = f"7{len(registers) + 1:07d}"
        registers.append(dict(number=number, head_id=head.id, issued_on=issued))
        members.append(dict(register_number=number, person_id=head.id, relation="head", added_on=issued))
        members.extend(
            dict(register_number=number, person_id=wife.id, relation="wife", added_on=issued) for wife in wives
        )
        for child in children:
            # Births must be registered within 30 days (docs/domain.md §1.4).
            added = min(today, max(issued, child.birth_on + _days(rng.randrange(1, 30))))
            relation = "son" if child.sex.value == "male" else "daughter"
            members.append(dict(register_number=number, person_id=child.id, relation=relation, added_on=added))
    return registers, members
