"""bookkeeping: idempotency answers name their sector

As in the hub's database: each row names the sector whose mutation kept it."""

from __future__ import annotations

from hub.migrations.idempotency_sector import downgrade, upgrade

revision = "5d9a3b6e1c27"
down_revision = "4c8e21d7a9f3"
branch_labels = None
depends_on = None

__all__ = ["downgrade", "upgrade"]
