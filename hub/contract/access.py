"""Who stands in what relation to whom: the vocabulary sectors share with the access policy."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from hub.contract.loading import Reads

IDENTITY = "identity"
"""The hub's own 'sector': names, birth date, nationality, mobile."""


class Relation(enum.StrEnum):
    """Relations between people that open access. What each opens is decided by the hub's policy,
    not by sectors: a guardian reads everything of a minor child; a sponsor reads the sponsoring
    sector's records of their workers and dependants and the name that recognises them."""

    GUARDIAN = "guardian"
    SPONSOR = "sponsor"


class ActingAs(enum.StrEnum):
    """The capacity in which a caller reads or writes a person's data (recorded in the audit)."""

    SELF = "self"
    GUARDIAN = "guardian"
    SPONSOR = "sponsor"
    OFFICER = "officer"
    SERVICE = "service"


@dataclass(frozen=True)
class RelationSource:
    """A relation between people that a sector knows and the access policy uses.

    `fetch(reads, viewer_id, subject_ids)` returns the subjects to whom the viewer stands in
    `relation` (e.g. the viewer's minor children). It is called once per request batch.
    """

    relation: Relation
    fetch: Callable[[Reads, str, Sequence[str]], Awaitable[set[str]]]
