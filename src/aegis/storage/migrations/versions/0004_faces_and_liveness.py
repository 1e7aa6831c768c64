"""face embeddings (encrypted) for the duplicate-face check, and liveness challenges

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 14:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import aegis.storage.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "face_embeddings",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("applicant_id", sa.String(length=40), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("embedding_enc", sa.Text(), nullable=False),
        sa.Column("identity_bidx", sa.String(length=64), nullable=True),
        sa.Column("created_at", aegis.storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["applicants.id"],
            name=op.f("fk_face_embeddings_applicant_id_applicants"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_face_embeddings_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_embeddings")),
    )
    with op.batch_alter_table("face_embeddings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_face_embeddings_applicant_id"), ["applicant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_face_embeddings_tenant_id"), ["tenant_id"], unique=False
        )
    op.create_table(
        "liveness_checks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("applicant_id", sa.String(length=40), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("fingerprint_exact", sa.String(length=64), nullable=True),
        sa.Column("fingerprint_perceptual", sa.JSON(), nullable=True),
        sa.Column("issued_at", aegis.storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", aegis.storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", aegis.storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["applicants.id"],
            name=op.f("fk_liveness_checks_applicant_id_applicants"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_liveness_checks_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_liveness_checks")),
    )
    with op.batch_alter_table("liveness_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_liveness_checks_applicant_id"), ["applicant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_liveness_checks_fingerprint_exact"), ["fingerprint_exact"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_liveness_checks_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("liveness_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_liveness_checks_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_liveness_checks_fingerprint_exact"))
        batch_op.drop_index(batch_op.f("ix_liveness_checks_applicant_id"))
    op.drop_table("liveness_checks")
    with op.batch_alter_table("face_embeddings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_face_embeddings_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_face_embeddings_applicant_id"))
    op.drop_table("face_embeddings")
