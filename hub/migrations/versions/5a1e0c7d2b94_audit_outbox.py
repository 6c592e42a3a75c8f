"""audit: the outbox of audited writes

Each mutation's write names itself here, in its own transaction, with the audit record appended
with it; `audit-verify` checks every row against the chain. Existing records are untouched."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5a1e0c7d2b94"
down_revision = "71ec21ea6132"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_outbox",
        sa.Column("id", sa.String(length=32), nullable=False, comment="random"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("sector", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=10), nullable=False),
        sa.Column("action", sa.String(length=128), nullable=False),
        sa.Column(
            "audit_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
            comment="the audit_trail record; NULL: none yet",
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_outbox_audit_id"), ["audit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_outbox_audit_id"))
    op.drop_table("audit_outbox")
