"""byte counts as 64-bit integers (PostgreSQL's INTEGER stops at 2 GiB)

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = ("output_bytes", "peak_memory_bytes")


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        for name in COLUMNS:
            batch.alter_column(name, type_=sa.BigInteger(), existing_type=sa.Integer())


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        for name in COLUMNS:
            batch.alter_column(name, type_=sa.Integer(), existing_type=sa.BigInteger())
