"""The step that makes each idempotency answer name its sector, taken alike by the hub's database
(hub/migrations/versions) and a sector apart's (hub/migrations/bookkeeping), which both keep
`idempotency_answers`: each revision there runs these."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def upgrade() -> None:
    # Rows kept before name no sector: the all-in-one hub still replays them, no sector's role sees them.
    with op.batch_alter_table("idempotency_answers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sector",
                sa.String(length=32),
                nullable=False,
                server_default="",
                comment="the sector whose mutation kept it",
            )
        )
    with op.batch_alter_table("idempotency_answers", schema=None) as batch_op:
        batch_op.alter_column("sector", server_default=None, existing_type=sa.String(length=32))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # `db-roles` policies read the column; without them row-level security would refuse every row.
        policies = sa.text(
            "SELECT policyname FROM pg_policies WHERE schemaname = current_schema() "
            "AND tablename = 'idempotency_answers'"
        )
        for (policy,) in bind.execute(policies):
            op.execute(sa.text('DROP POLICY "' + policy.replace('"', '""') + '" ON idempotency_answers'))
        op.execute("ALTER TABLE idempotency_answers DISABLE ROW LEVEL SECURITY")
    with op.batch_alter_table("idempotency_answers", schema=None) as batch_op:
        batch_op.drop_column("sector")
