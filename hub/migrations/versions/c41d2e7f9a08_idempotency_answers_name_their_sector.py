"""idempotency answers name their sector

Each row names the sector whose mutation kept it, so that in a database sectors share each
sector's role may be given its own rows only (row-level security, `python -m hub db-roles`)."""

from __future__ import annotations

from hub.migrations.idempotency_sector import downgrade, upgrade

revision = "c41d2e7f9a08"
down_revision = "e3b7c2a90d15"
branch_labels = None
depends_on = None

__all__ = ["downgrade", "upgrade"]
