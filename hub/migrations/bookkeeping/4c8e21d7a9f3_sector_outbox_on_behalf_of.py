"""bookkeeping: the establishment a sector apart's audited write was done for

The outbox row carries the record's `on_behalf_of` to the hub's chain, as it carries its purpose."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "4c8e21d7a9f3"
down_revision = "fdcf627b38e2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_sector_outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "on_behalf_of", sa.String(length=10), nullable=True, comment="the establishment the caller acted for"
            )
        )


def downgrade() -> None:
    # A row not relayed yet would lose the establishment its record must name.
    held = (
        op.get_bind()
        .execute(
            sa.text("SELECT count(*) FROM audit_sector_outbox WHERE on_behalf_of IS NOT NULL AND audit_id IS NULL")
        )
        .scalar()
    )
    if held:
        raise RuntimeError(f"{held} outbox rows not relayed yet name an establishment; nothing changed.")
    with op.batch_alter_table("audit_sector_outbox", schema=None) as batch_op:
        batch_op.drop_column("on_behalf_of")
