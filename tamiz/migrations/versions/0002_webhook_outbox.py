"""Webhook outbox: deliveries owed to subscribers, sent after monitoring runs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 09:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # `Store.open` creates missing tables itself, so a database used by a newer
    # tamiz before this migration ran may have the table already.
    if "webhook_outbox" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table('webhook_outbox',
    sa.Column('delivery_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('passes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_deliveries.id'], ),
    sa.PrimaryKeyConstraint('delivery_id')
    )
    with op.batch_alter_table('webhook_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_outbox_due_at'), ['due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_outbox_due_at'))
    op.drop_table('webhook_outbox')
