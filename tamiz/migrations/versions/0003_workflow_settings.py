"""Workflow settings: the four-eyes rule stored in the database, not per process.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # `Store.open` creates missing tables itself, so a database used by a newer
    # tamiz before this migration ran may have the table already.
    if "workflow_settings" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table('workflow_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_by', sa.String(length=255), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('audit_seq', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    op.drop_table('workflow_settings')
