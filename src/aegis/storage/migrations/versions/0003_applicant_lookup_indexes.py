"""applicant lookup indexes: (tenant, blind index, created_at) for duplicates and velocity

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 14:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (
    "id_number_bidx",
    "phone_bidx",
    "email_bidx",
    "card_bidx",
    "device_bidx",
    "ip_bidx",
    "phone_prefix_bidx",
    "email_domain_bidx",
)


def upgrade() -> None:
    with op.batch_alter_table("applicants", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.drop_index(f"ix_applicants_{column}")
            batch_op.create_index(
                f"ix_applicants_tenant_{column}", ["tenant_id", column, "created_at"], unique=False
            )


def downgrade() -> None:
    with op.batch_alter_table("applicants", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.drop_index(f"ix_applicants_tenant_{column}")
            batch_op.create_index(f"ix_applicants_{column}", [column], unique=False)
