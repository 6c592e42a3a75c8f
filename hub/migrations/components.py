"""What has a migration history: the hub's own tables, and each sector's."""

from __future__ import annotations

import importlib.resources
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData

from hub.accounts.models import AccountsBase
from hub.audit.records import AuditBase
from hub.audit.relay import RelayBase
from hub.contract import Sector
from hub.data.idempotency import IdempotencyBase
from hub.identity.models import IdentityBase
from hub.notifications.models import NotificationsBase

HUB = "hub"
"""The hub's component: the identity registry, the accounts, the audit trail, the idempotency keys and
the notifications."""
HUB_VERSIONS = Path(__file__).parent / "versions"
BOOKKEEPING = "bookkeeping"
"""The hub's bookkeeping in a database that holds sectors but not the hub's own tables: the
idempotency keys of those sectors' mutations and the outbox of their audit records
(hub/audit/relay.py)."""
BOOKKEEPING_VERSIONS = Path(__file__).parent / "bookkeeping"


class MigrationError(Exception):
    """Something an operator must act on; the message says what."""


@dataclass(frozen=True)
class Component:
    """One migration history: its tables (the models it migrates towards), the folder of its
    Alembic revisions, and its own version table (`alembic_version_<name>`), so the hub and each
    sector move on independently."""

    name: str
    metadata: tuple[MetaData, ...]
    versions: Path
    prefixes: tuple[str, ...]

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.name}"

    @property
    def tables(self) -> frozenset[str]:
        return frozenset(name for metadata in self.metadata for name in metadata.tables)

    def owns(self, table: str, among: Sequence[Component]) -> bool:
        """Whether a table found in the database is this component's: one of its models', or one
        that carries its prefix and no other component's models claim (a table its models dropped)."""
        if table in self.tables:
            return True
        return table.startswith(self.prefixes) and not any(table in other.tables for other in among)


def hub_component() -> Component:
    return Component(
        HUB,
        (
            IdentityBase.metadata,
            AccountsBase.metadata,
            AuditBase.metadata,
            IdempotencyBase.metadata,
            NotificationsBase.metadata,
        ),
        HUB_VERSIONS,
        ("identity_", "accounts_", "audit_", "idempotency_", "notifications_"),
    )


def bookkeeping_component() -> Component:
    # A table name of this component's is the same as one of the hub's (`idempotency_answers`):
    # they never meet, the hub's database holds the hub's component and never this one.
    return Component(
        BOOKKEEPING, (IdempotencyBase.metadata, RelayBase.metadata), BOOKKEEPING_VERSIONS, ("idempotency_", "audit_")
    )


def sector_component(sector: Sector) -> Component:
    if not sector.migrations:
        raise MigrationError(f"sector {sector.name!r} names no migrations")
    versions = Path(str(importlib.resources.files(sector.migrations) / "versions"))
    if not versions.is_dir():
        raise MigrationError(f"sector {sector.name!r}: {sector.migrations} has no versions/ folder of revisions")
    return Component(sector.name, (sector.metadata,), versions, (f"{sector.name}_",))


def components(sectors: Sequence[Sector]) -> tuple[Component, ...]:
    """The hub's component first, then each of these sectors that has tables, in their order."""
    for name in (HUB, BOOKKEEPING):
        if any(sector.name == name for sector in sectors):
            raise MigrationError(f"a sector may not be named {name!r}: that is the hub's own migration history")
    return (hub_component(), *(sector_component(sector) for sector in sectors if sector.metadata.tables))


def placed(
    hub_url: str, found: Sequence[Component], urls: Mapping[str, str]
) -> list[tuple[str, tuple[Component, ...]]]:
    """Each database with the components whose tables live in it: a sector with a URL of its own
    (`RABT_<SECTOR>_DATABASE_URL`) in that database, everything else in the hub's, the hub's first.
    A database of sectors apart holds the hub's bookkeeping for them too, last."""
    groups: dict[str, list[Component]] = {hub_url: []}
    for component in found:
        groups.setdefault(urls.get(component.name) or hub_url, []).append(component)
    for url, held in groups.items():
        if url != hub_url and held:
            held.append(bookkeeping_component())
    return [(url, tuple(components)) for url, components in groups.items() if components]


def named(found: Sequence[Component], name: str | None) -> tuple[Component, ...]:
    """All of `found`, or the one called `name`."""
    if name is None:
        return tuple(found)
    chosen = tuple(component for component in found if component.name == name)
    if not chosen:
        raise MigrationError(f"no component {name!r}; one of: {', '.join(c.name for c in found)}")
    return chosen
