"""audit: the establishment a caller acted for

Each audit record names the establishment (unified number) its caller acted for, NULL for every
record of a caller acting for themself; existing records keep NULL and hash as before."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e3b7c2a90d15"
down_revision = "5a1e0c7d2b94"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_trail", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "on_behalf_of",
                sa.String(length=10),
                nullable=True,
                comment="the establishment (unified number) the caller acted for; NULL: for no one",
            )
        )


def downgrade() -> None:
    # The establishment is part of a record's hash: dropping it would break the chain.
    held = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_trail WHERE on_behalf_of IS NOT NULL")).scalar()
    if held:
        raise RuntimeError(f"{held} audit records name the establishment their caller acted for; nothing changed.")
    with op.batch_alter_table("audit_trail", schema=None) as batch_op:
        batch_op.drop_column("on_behalf_of")
