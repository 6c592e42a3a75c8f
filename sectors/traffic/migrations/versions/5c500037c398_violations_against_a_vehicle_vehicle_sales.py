"""traffic: violations recorded against a vehicle, and vehicle sales (offered, then accepted)

Violations already recorded name no vehicle (null): they still block their violator's services,
and no vehicle's renewal or sale."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5c500037c398"
down_revision = "23c030bae39b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "traffic_vehicle_transfers",
        sa.Column("reference", sa.String(length=12), nullable=False, comment="VT then 10 digits"),
        sa.Column("sequence_number", sa.String(length=9), nullable=False, comment="the vehicle"),
        sa.Column("seller_id", sa.String(length=10), nullable=False, comment="the owner who offered it"),
        sa.Column("buyer_id", sa.String(length=10), nullable=False, comment="the person it is offered to"),
        sa.Column("offered_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False, comment="pending or completed"),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("reference", name=op.f("pk_traffic_vehicle_transfers")),
    )
    with op.batch_alter_table("traffic_vehicle_transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_traffic_vehicle_transfers_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_traffic_vehicle_transfers_seller_id"), ["seller_id"], unique=False)
        batch_op.create_index(
            "uq_traffic_vehicle_transfers_pending",
            ["sequence_number"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    with op.batch_alter_table("traffic_violations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "vehicle_sequence_number",
                sa.String(length=9),
                nullable=True,
                comment="the vehicle it was recorded against, when it was a vehicle's",
            )
        )
        batch_op.create_index(
            batch_op.f("ix_traffic_violations_vehicle_sequence_number"), ["vehicle_sequence_number"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("traffic_violations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_traffic_violations_vehicle_sequence_number"))
        batch_op.drop_column("vehicle_sequence_number")

    with op.batch_alter_table("traffic_vehicle_transfers", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_traffic_vehicle_transfers_pending",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index(batch_op.f("ix_traffic_vehicle_transfers_seller_id"))
        batch_op.drop_index(batch_op.f("ix_traffic_vehicle_transfers_buyer_id"))

    op.drop_table("traffic_vehicle_transfers")
