"""A request's audit entries: collected while it runs (`AuditBatch`), stored in its record's
`entries` column (`grouped`), and read back (`stored_groups`, `stored_entries`, `others_of`).

A record's entries are grouped: the people a request touched in the same way (the same sectors,
capacity, fields, action and outcome) share one group, so a 100-person answer writes its four
accesses once with 100 IDs (1.5 kB) instead of 400 rows (30 kB). The long form cost PostgreSQL
~250 µs more per append (parsing it, compressing it into TOAST). Records written before the grouped
form hold the long form; both are read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

# How a request touched one person: sector, acting_as, fields, action, outcome.
Accessed = tuple[str, str, Sequence[str], str, str]


class AuditKey(NamedTuple):
    """A tuple, not a dataclass: a 100-person answer makes 400 of them, and a frozen dataclass's
    construction was a visible share of the compiled path's time (cProfile)."""

    subject_id: str
    sector: str
    acting_as: str
    action: str = "read"
    outcome: str = "ok"


@dataclass
class AuditBatch:
    """Every (subject, sector, acting-as, action) touched in this request, with the fields involved."""

    entries: dict[AuditKey, frozenset[str]] = field(default_factory=dict)

    def note(
        self,
        subject_id: str,
        sector: str,
        acting_as: str,
        fields: set[str] | frozenset[str],
        action: str = "read",
        outcome: str = "ok",
    ) -> None:
        # tuple.__new__ skips the namedtuple's Python-level __new__: called for every gate opened
        key = tuple.__new__(AuditKey, (subject_id, sector, acting_as, action, outcome))
        entries = self.entries
        entries[key] = entries[key] | fields if key in entries else frozenset(fields)

    def __len__(self) -> int:
        return len(self.entries)


class _SortedNames(dict[frozenset[str], tuple[str, ...]]):
    """Each field set's names, sorted when first met: a plan's field sets are a few, shared by
    every person (a subscript, not a method call, for each entry)."""

    def __missing__(self, fields: frozenset[str]) -> tuple[str, ...]:
        names = self[fields] = tuple(sorted(fields))
        return names


def grouped(entries: Mapping[AuditKey, frozenset[str]]) -> list[tuple[list[str], tuple[Accessed, ...]]]:
    """A request's entries as stored: `[[subject_id, ...], [access, ...]]` for each set of people
    touched in the same way, the groups in order of their first subject, everything sorted."""
    names = _SortedNames()
    accesses: defaultdict[str, list[Accessed]] = defaultdict(list)
    for (subject, sector, acting_as, action, outcome), fields in entries.items():
        accesses[subject].append((sector, acting_as, names[fields], action, outcome))
    groups: defaultdict[tuple[Accessed, ...], list[str]] = defaultdict(list)
    for subject in sorted(accesses):
        groups[tuple(sorted(accesses[subject]))].append(subject)
    return [(subjects, alike) for alike, subjects in groups.items()]


def stored_groups(text: str) -> list[tuple[list[str], list[Accessed]]]:
    """A record's `entries` column as groups, whichever form it was stored in: a long-form row
    `[subject_id, sector, acting_as, fields, action, outcome]` is a group of one."""
    return [
        ([item[0]], [tuple(item[1:])]) if isinstance(item[0], str) else (item[0], [tuple(access) for access in item[1]])
        for item in orjson.loads(text)
    ]


def stored_entries(text: str) -> list[tuple[str, Accessed]]:
    """A record's `entries` column as (subject, access) pairs, sorted: either stored form."""
    return sorted(
        (subject, access) for subjects, accesses in stored_groups(text) for subject in subjects for access in accesses
    )


def others_of(groups: Sequence[tuple[Sequence[str], Sequence[Sequence[Any]]]]) -> dict[str, bool]:
    """Each subject of the grouped entries, and whether someone else than that person was involved
    (in any of the subject's groups: the long form has one per access)."""
    others: dict[str, bool] = {}
    for subjects, accesses in groups:
        someone_else = any(acting_as != "self" for _, acting_as, *_ in accesses)
        for subject in subjects:
            others[subject] = others.get(subject, False) or someone_else
    return others
