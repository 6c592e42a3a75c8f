"""notifications: a person's inbox of notices

A new table, empty: notices are kept from now on; nothing existing changes."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "71ec21ea6132"
down_revision = "02571df3a014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications_inbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.String(length=10), nullable=False, comment="whom the notice is for"),
        sa.Column("sector", sa.String(length=32), nullable=False, comment="the sector whose record it is about"),
        sa.Column(
            "kind",
            sa.String(length=32),
            nullable=False,
            comment="document_expiring, violation, service_completed, absconding_report, ...",
        ),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("message_ar", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "once",
            sa.String(length=160),
            nullable=True,
            comment="set for a notice that must be kept once only (an expiry notice per day)",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications_inbox")),
        sa.UniqueConstraint("once", name=op.f("uq_notifications_inbox_once")),
    )
    with op.batch_alter_table("notifications_inbox", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_inbox_person_id_id", ["person_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications_inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_inbox_person_id_id")

    op.drop_table("notifications_inbox")
