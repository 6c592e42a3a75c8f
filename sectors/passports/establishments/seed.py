"""The demo's establishments: a few employers whose workers an establishment sponsors instead.

Drawn from passports' own demo records before they are written, without a random draw of its own,
so every other record stays as it was drawn: the citizens (personas aside) who employ the most
workers each hand their workers over to an establishment, which then names the workers' iqamas,
the visas it sponsored, the absconding reports it filed and the transfers that brought the
workers to it. Each employer becomes an authorised user of their establishment; the first
establishment is the `sponsor` persona's too (the demo's "Establishment user" caller), and the
second keeps a user whose authorisation was revoked."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

from hub.contract.population import DEMO_ESTABLISHMENT, PERSONAS, Population
from hub.contract.unified_number import unified_number

NAMES: tuple[tuple[str, str], ...] = (
    ("شركة الرمال للمقاولات", "Al Rimal Contracting Company"),
    ("مؤسسة النخيل للتجارة", "Al Nakheel Trading Est."),
    ("شركة الواحة للخدمات الطبية", "Al Waha Medical Services Co."),
)

Rows = list[dict[str, Any]]


def hand_over(
    population: Population, today: dt.date, iqamas: Rows, visas: Rows, reports: Rows, transfers: Rows
) -> tuple[Rows, Rows]:
    """Moves the workers of the biggest employers to establishments (the rows change in place);
    returns the establishments' rows and their users' rows."""
    personas = {persona.id for persona in PERSONAS}
    employing = Counter(
        iqama["sponsor_id"]
        for iqama in iqamas
        if iqama["sponsorship"] == "work" and iqama["sponsor_id"] not in personas and iqama["person_id"] not in personas
    )
    employers = sorted(employing, key=lambda sponsor: (-employing[sponsor], sponsor))[: len(NAMES)]
    numbers = [DEMO_ESTABLISHMENT, *(unified_number(index + 1) for index in range(1, len(NAMES)))]
    becomes = dict(zip(employers, numbers, strict=False))
    moved = {
        iqama["person_id"]: becomes[iqama["sponsor_id"]]
        for iqama in iqamas
        if iqama["sponsorship"] == "work" and iqama["sponsor_id"] in becomes and iqama["person_id"] not in personas
    }
    _rename(iqamas, moved, "sponsor_id", becomes)
    _rename(visas, moved, "sponsor_id", becomes)
    _rename(reports, moved, "filed_by_id", becomes)
    _rename(transfers, moved, "to_sponsor_id", becomes)
    establishments = [
        dict(unified_number=number, name_ar=name[0], name_en=name[1])
        for number, name in zip(numbers, NAMES, strict=True)
    ]
    return establishments, _users(population, employers, numbers, today)


def _rename(rows: Rows, moved: dict[str, str], column: str, becomes: dict[str, str]) -> None:
    """The moved workers' rows that named their employer name the employer's establishment."""
    for row in rows:
        establishment = moved.get(row["person_id"])
        if establishment is not None and becomes.get(row[column]) == establishment:
            row[column] = establishment


def _users(population: Population, employers: Sequence[str], numbers: Sequence[str], today: dt.date) -> Rows:
    long_ago = today - dt.timedelta(days=400)
    users = [_user(number, employer, long_ago) for employer, number in zip(employers, numbers, strict=False)]
    sponsor = population.persona("sponsor").id
    users.append(_user(numbers[0], sponsor, today - dt.timedelta(days=90)))
    # A former user of the second establishment: revoked, so they act for it no more.
    former = next(
        p.id for p in population.people if p.kind.value == "citizen" and p.id not in employers and p.persona is None
    )
    users.append(_user(numbers[1], former, long_ago, revoked_on=today - dt.timedelta(days=20)))
    return users


def _user(number: str, person_id: str, granted_on: dt.date, revoked_on: dt.date | None = None) -> dict[str, Any]:
    return dict(
        establishment_number=number,
        person_id=person_id,
        status="active" if revoked_on is None else "revoked",
        granted_on=granted_on,
        revoked_on=revoked_on,
    )
