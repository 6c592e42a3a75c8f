"""civil defence: a safety permit's status may be pending (applied for, awaiting inspection)

Only the column's comment changes (SQLite keeps none); the rows stay as they are."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2e45a25087e1"
down_revision = "46361fb283f3"
branch_labels = None
depends_on = None


def _comment(text: str, was: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "civil_defence_safety_permits",
            "status",
            existing_type=sa.String(length=10),
            existing_nullable=False,
            comment=text,
            existing_comment=was,
        )


def upgrade() -> None:
    _comment("valid, expired, suspended or pending (inspection)", "valid, expired or suspended")


def downgrade() -> None:
    _comment("valid, expired or suspended", "valid, expired, suspended or pending (inspection)")
