"""A deterministic synthetic population: the people, households and sponsorships of the demo.

Same seed, size and reference date: the same people, byte for byte. Every sector seeds its
records from this one picture, so a sponsor's workers in passports are the same people whose
names identity holds, and a family register matches the minors a guardian may read.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from enum import StrEnum

from hub.contract import names
from hub.contract.national_id import with_check_digit
from hub.contract.unified_number import unified_number


class Kind(StrEnum):
    CITIZEN = "citizen"
    RESIDENT = "resident"
    VISITOR = "visitor"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


@dataclass
class SeededPerson:
    id: str
    kind: Kind
    sex: Sex
    birth_on: dt.date
    nationality: str
    name_ar: str
    name_en: str
    mobile: str | None
    household: int | None = None
    father_id: str | None = None
    mother_id: str | None = None
    sponsor_id: str | None = None  # residents: the iqama sponsor; visitors: the host
    persona: str | None = None

    def age_on(self, day: dt.date) -> int:
        return day.year - self.birth_on.year - ((day.month, day.day) < (self.birth_on.month, self.birth_on.day))


@dataclass(frozen=True)
class Persona:
    key: str
    id: str
    story: str


# The named people of the demo (README lists them). Their IDs are fixed so docs and tests can
# name them; everyone else gets IDs drawn from the seed.
PERSONAS: tuple[Persona, ...] = (
    Persona("sponsor", with_check_digit("101000001"), "a citizen who sponsors several workers"),
    Persona(
        "absconding_worker",
        with_check_digit("201000002"),
        "a resident whose iqama expires this month, with an open absconding report",
    ),
    Persona("unpaid_violations", with_check_digit("101000003"), "a citizen with unpaid traffic violations"),
    Persona("family_head", with_check_digit("101000004"), "a father whose family register has minors"),
    Persona("minor_child", with_check_digit("101000005"), "a minor in family_head's register"),
    Persona("visitor", with_check_digit("301000006"), "a visitor on a visit visa hosted by family_head"),
)

DEMO_ESTABLISHMENT = unified_number(1)
"""The establishment (unified number) the `sponsor` persona is an authorised user of: passports
seeds it with the workers of the demo's biggest employer, and the demo's "Establishment user"
caller acts for it."""


@dataclass
class Population:
    today: dt.date
    people: list[SeededPerson] = field(default_factory=list)
    by_id: dict[str, SeededPerson] = field(default_factory=dict)
    households: dict[int, list[SeededPerson]] = field(default_factory=dict)

    def add(self, person: SeededPerson) -> SeededPerson:
        self.people.append(person)
        self.by_id[person.id] = person
        if person.household is not None:
            self.households.setdefault(person.household, []).append(person)
        return person

    def persona(self, key: str) -> SeededPerson:
        return self.by_id[next(p.id for p in PERSONAS if p.key == key)]

    def sponsored_by(self) -> dict[str, list[SeededPerson]]:
        """Sponsor ID -> the residents (and hosted visitors) they sponsor, in population order."""
        found: dict[str, list[SeededPerson]] = {}
        for person in self.people:
            if person.sponsor_id is not None:
                found.setdefault(person.sponsor_id, []).append(person)
        return found


class _Generator:
    def __init__(self, seed: int, today: dt.date) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.population = Population(today=today)
        self.taken: set[str] = {p.id for p in PERSONAS}
        self.household = 0

    def new_id(self, first: str) -> str:
        while True:
            candidate = with_check_digit(first + f"{self.rng.randrange(10**8):08d}")
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate

    def mobile(self) -> str:
        return f"+9665{self.rng.randrange(10**8):08d}"

    def birth(self, min_age: int, max_age: int) -> dt.date:
        start = self.today.replace(year=self.today.year - max_age - 1) + dt.timedelta(days=1)
        end = self.today.replace(year=self.today.year - min_age)
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))

    def citizen(
        self,
        sex: Sex,
        family: names.NamePart,
        father: names.NamePart,
        min_age: int,
        max_age: int,
        persona: str | None = None,
    ) -> SeededPerson:
        given = self.rng.choice(names.SAUDI_MALE if sex is Sex.MALE else names.SAUDI_FEMALE)
        birth_on = self.birth(min_age, max_age)
        link = "بن" if sex is Sex.MALE else "بنت"
        person_id = next((p.id for p in PERSONAS if p.key == persona), None) or self.new_id("1")
        return SeededPerson(
            id=person_id,
            kind=Kind.CITIZEN,
            sex=sex,
            birth_on=birth_on,
            nationality="SAU",
            name_ar=f"{given[0]} {link} {father[0]} {family[0]}",
            name_en=f"{given[1]} {father[1]} {family[1]}",
            mobile=self.mobile() if birth_on <= self.today.replace(year=self.today.year - 15) else None,
            persona=persona,
        )

    def expat(
        self,
        kind: Kind,
        sex: Sex,
        nationality: str,
        min_age: int,
        max_age: int,
        persona: str | None = None,
        family: names.NamePart | None = None,
    ) -> SeededPerson:
        given = self.rng.choice((names.EXPAT_MALE if sex is Sex.MALE else names.EXPAT_FEMALE)[nationality])
        surname = family or self.rng.choice(names.EXPAT_FAMILY[nationality])
        person_id = next((p.id for p in PERSONAS if p.key == persona), None) or self.new_id(
            "2" if kind is Kind.RESIDENT else "3"
        )
        return SeededPerson(
            id=person_id,
            kind=kind,
            sex=sex,
            birth_on=self.birth(min_age, max_age),
            nationality=nationality,
            name_ar=f"{given[0]} {surname[0]}",
            name_en=f"{given[1]} {surname[1]}",
            mobile=self.mobile(),
            persona=persona,
        )

    def family(
        self, children: int, head_persona: str | None = None, child_personas: tuple[str | None, ...] = ()
    ) -> list[SeededPerson]:
        """A citizen household: a father, a mother and their children (some of them minors)."""
        self.household += 1
        family = self.rng.choice(names.SAUDI_FAMILY)
        grandfather = self.rng.choice(names.SAUDI_MALE)
        father = self.citizen(Sex.MALE, family, grandfather, 32, 70, head_persona)
        mother = self.citizen(
            Sex.FEMALE, self.rng.choice(names.SAUDI_FAMILY), self.rng.choice(names.SAUDI_MALE), 28, 65
        )
        members = [father, mother]
        father_given = (father.name_ar.split()[0], father.name_en.split()[0])
        oldest_child = max(0, min(father.age_on(self.today), mother.age_on(self.today)) - 20)
        for index in range(children):
            persona = child_personas[index] if index < len(child_personas) else None
            max_age = min(oldest_child, 9) if persona else oldest_child
            child = self.citizen(self.rng.choice((Sex.MALE, Sex.FEMALE)), family, father_given, 0, max_age, persona)
            child.father_id, child.mother_id = father.id, mother.id
            members.append(child)
        for member in members:
            member.household = self.household
            self.population.add(member)
        return members

    def worker(self, sponsor: SeededPerson, persona: str | None = None, with_family: bool = False) -> SeededPerson:
        nationality = self.rng.choice(names.RESIDENT_NATIONALITIES)
        sex = Sex.FEMALE if nationality in ("PHL", "IDN") and self.rng.random() < 0.7 else Sex.MALE
        worker = self.expat(Kind.RESIDENT, sex, nationality, 22, 58, persona)
        worker.sponsor_id = sponsor.id
        self.population.add(worker)
        if with_family and sex is Sex.MALE:
            self.household += 1
            worker.household = self.household
            self.population.households.setdefault(self.household, []).append(worker)
            surname = (worker.name_ar.split()[-1], worker.name_en.split()[-1])
            wife = self.expat(Kind.RESIDENT, Sex.FEMALE, nationality, 20, 50, family=surname)
            dependants = [wife] + [
                self.expat(Kind.RESIDENT, self.rng.choice((Sex.MALE, Sex.FEMALE)), nationality, 0, 17, family=surname)
                for _ in range(self.rng.randrange(0, 3))
            ]
            for dependant in dependants:
                dependant.sponsor_id = worker.id  # a resident sponsors his own family
                dependant.household = self.household
                if dependant is not wife:
                    dependant.father_id, dependant.mother_id = worker.id, wife.id
                self.population.add(dependant)
        return worker

    def visitor(self, host: SeededPerson, persona: str | None = None) -> SeededPerson:
        nationality = self.rng.choice(names.VISITOR_NATIONALITIES)
        visitor = self.expat(Kind.VISITOR, self.rng.choice((Sex.MALE, Sex.FEMALE)), nationality, 18, 75, persona)
        visitor.sponsor_id = host.id
        return self.population.add(visitor)

    def personas(self) -> None:
        sponsor_family = self.family(2, head_persona="sponsor")
        sponsor = sponsor_family[0]
        self.worker(sponsor, persona="absconding_worker")
        for _ in range(4):
            self.worker(sponsor)
        self.family(1, head_persona="unpaid_violations")
        head = self.family(3, head_persona="family_head", child_personas=("minor_child",))[0]
        self.visitor(head, persona="visitor")


def generate(size: int, seed: int, today: dt.date) -> Population:
    """About `size` people: ~60 % citizens in households, ~35 % residents (some with families),
    ~5 % visitors; the personas first."""
    generator = _Generator(seed, today)
    generator.personas()
    population = generator.population
    rng = generator.rng
    while len(population.people) < size:
        roll = rng.random()
        if roll < 0.3:
            generator.family(rng.choice((0, 1, 2, 2, 3, 3, 4, 5)))
        elif roll < 0.88:
            sponsors = [p for p in population.people[-400:] if p.kind is Kind.CITIZEN and p.age_on(today) >= 25]
            sponsor = rng.choice(sponsors) if sponsors else generator.family(0)[0]
            generator.worker(sponsor, with_family=rng.random() < 0.25)
        else:
            hosts = [p for p in population.people[-400:] if p.kind is not Kind.VISITOR and p.age_on(today) >= 25]
            if hosts:
                generator.visitor(rng.choice(hosts))
    del population.people[size:]
    population.by_id = {p.id: p for p in population.people}
    for members in population.households.values():
        members[:] = [m for m in members if m.id in population.by_id]
    return population
