"""Who stands in what relation to whom: the vocabulary sectors share with the access policy."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column

from hub.contract.loading import Reads

IDENTITY = "identity"
"""The hub's own 'sector', the part that recognises a person: ID, names, kind, nationality."""

IDENTITY_DETAILS = "identity:details"
"""The rest of identity (birth date, sex, mobile): a field group decided on its own, since some
relations (a sponsor) open only the part of identity that recognises the person."""


def sector_of(group: str) -> str:
    """The sector a field group belongs to (`identity:details` -> `identity`): the audit and the
    scopes name sectors."""
    return group.partition(":")[0]


class Relation(enum.StrEnum):
    """Relations between people that open access. What each opens is decided by the hub's policy,
    not by sectors: a guardian reads everything of a minor child; a sponsor reads the sponsoring
    sector's records of their workers and what recognises them; the head of a family register
    reads the members' entries in it and what recognises them.

    An authorised user (`AUTHORISED_USER`: the viewer is a person, the subject an establishment's
    unified number) opens nothing by itself: it lets the user act for the establishment (the
    request's `X-On-Behalf-Of`), whose own relations (a sponsor's) then decide."""

    GUARDIAN = "guardian"
    SPONSOR = "sponsor"
    FAMILY_HEAD = "family_head"
    AUTHORISED_USER = "authorised_user"


class ActingAs(enum.StrEnum):
    """The capacity in which a caller reads or writes a person's data (recorded in the audit)."""

    SELF = "self"
    GUARDIAN = "guardian"
    SPONSOR = "sponsor"
    FAMILY_HEAD = "family_head"
    OFFICER = "officer"
    SERVICE = "service"
    ESTABLISHMENT = "establishment"
    """An authorised user acting for an establishment that sponsors the person (the audit records
    which one as `on_behalf_of`)."""
    PARTY = "party"
    """Only in a write's audit: another party to the write than the one the caller acts for (the
    buyer, toward a seller who offers them a vehicle)."""


@dataclass(frozen=True)
class RelationSource:
    """A relation between people that a sector knows and the access policy uses.

    `fetch(reads, viewer_id, subject_ids, today)` returns the subjects to whom the viewer stands in
    `relation` on `today` (e.g. the viewer's minor children; the workers whose iqama, valid today,
    names the viewer as sponsor). A relation grants only while it holds: status and validity as
    of `today`, never "ever". It is called once per request batch, by every part that decides
    access: `reads` names every column it reads, and each other sector's database role may read
    those columns and no others of the sector's tables.
    """

    relation: Relation
    fetch: Callable[[Reads, str, Sequence[str], dt.date], Awaitable[set[str]]]
    reads: tuple[Column[Any], ...] = ()
