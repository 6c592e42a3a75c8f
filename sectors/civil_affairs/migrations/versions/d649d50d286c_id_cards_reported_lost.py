"""civil affairs: an ID card's status may be lost (reported lost, no longer valid)

Only the column's comment changes (SQLite keeps none); the rows stay as they are."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d649d50d286c"
down_revision = "1115f5f8abff"
branch_labels = None
depends_on = None


def _comment(text: str, was: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "civil_affairs_id_cards",
            "status",
            existing_type=sa.String(length=10),
            existing_nullable=False,
            comment=text,
            existing_comment=was,
        )


def upgrade() -> None:
    _comment("valid, expired, replaced or lost", "valid, expired or replaced")


def downgrade() -> None:
    _comment("valid, expired or replaced", "valid, expired, replaced or lost")
