"""establishments and their authorised users

New tables only. An establishment sponsors under its unified number (an iqama's sponsor_id may hold
one); until its authorised users are entered, nobody acts for it."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b6d41f0e2c87"
down_revision = "4a153461a6d9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "passports_establishments",
        sa.Column(
            "unified_number",
            sa.String(length=10),
            nullable=False,
            comment="the unified number (الرقم الموحد): 7, eight digits, a check digit",
        ),
        sa.Column("name_ar", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("unified_number", name=op.f("pk_passports_establishments")),
    )
    op.create_table(
        "passports_establishment_users",
        sa.Column("establishment_number", sa.String(length=10), nullable=False, comment="the unified number"),
        sa.Column("person_id", sa.String(length=10), nullable=False, comment="the authorised user's ID"),
        sa.Column("status", sa.String(length=10), nullable=False, comment="active or revoked"),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("establishment_number", "person_id", name=op.f("pk_passports_establishment_users")),
    )
    with op.batch_alter_table("passports_establishment_users", schema=None) as batch_op:
        batch_op.create_index("ix_passports_establishment_users_person_id", ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("passports_establishment_users", schema=None) as batch_op:
        batch_op.drop_index("ix_passports_establishment_users_person_id")
    op.drop_table("passports_establishment_users")
    op.drop_table("passports_establishments")
