"""idempotency answers name their sector

Each row names the sector whose mutation kept it, so that in a database sectors share each
sector's role may be given its own rows only (row-level security, `python -m hub db-roles`)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c41d2e7f9a08"
down_revision = "e3b7c2a90d15"
branch_labels = None
depends_on = None


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
