"""bookkeeping: the hub's tables in a database of sectors apart

The idempotency keys of those sectors' mutations, kept in their transactions, and the outbox of
their audit records, relayed to the hub's chain after the commit (hub/audit/relay.py)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "fdcf627b38e2"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_answers",
        sa.Column(
            "caller",
            sa.String(length=80),
            nullable=False,
            comment="who sent the key: Principal.actor, and an officer's sector",
        ),
        sa.Column("key", sa.String(length=64), nullable=False, comment="the client's idempotency key"),
        sa.Column(
            "fingerprint",
            sa.String(length=64),
            nullable=False,
            comment="sha256 of the mutation's input, the key left out",
        ),
        sa.Column("answer", sa.Text(), nullable=True, comment="the payload as JSON; null while its mutation runs"),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("caller", "key", name=op.f("pk_idempotency_answers")),
    )
    with op.batch_alter_table("idempotency_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_answers_kept_at"), ["kept_at"], unique=False)

    op.create_table(
        "audit_sector_outbox",
        sa.Column("id", sa.String(length=32), nullable=False, comment="random; the hub's audit_outbox row's id"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, comment="when the write committed, about"),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("operation", sa.String(length=128), nullable=True),
        sa.Column("actor", sa.String(length=96), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("sector", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=10), nullable=False),
        sa.Column("acting_as", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=128), nullable=False),
        sa.Column("entries", sa.Text(), nullable=False, comment="the record's entries, as audit_trail stores them"),
        sa.Column("notices", sa.Text(), nullable=True, comment="JSON: the notices to keep in the hub's inbox"),
        sa.Column(
            "audit_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
            comment="the audit_trail record; NULL: not relayed",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_sector_outbox")),
    )
    with op.batch_alter_table("audit_sector_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_sector_outbox_audit_id"), ["audit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_sector_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_sector_outbox_audit_id"))

    op.drop_table("audit_sector_outbox")
    with op.batch_alter_table("idempotency_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_answers_kept_at"))

    op.drop_table("idempotency_answers")
