"""Migrations: one Alembic history per component — the hub's own tables and each sector's — each
with its own version table (`alembic_version_<component>`). docs/operations.md says how to run
them; docs/sectors.md how a sector ships its own."""

from hub.migrations.components import HUB, Component, MigrationError, components, named, placed
from hub.migrations.runner import (
    UPGRADE_COMMAND,
    Status,
    check,
    differences,
    downgrade,
    revision,
    statuses,
    upgrade,
)

__all__ = [
    "HUB",
    "UPGRADE_COMMAND",
    "Component",
    "MigrationError",
    "Status",
    "check",
    "components",
    "differences",
    "downgrade",
    "named",
    "placed",
    "revision",
    "statuses",
    "upgrade",
]
