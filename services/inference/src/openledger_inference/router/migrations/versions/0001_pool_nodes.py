"""Pool membership: one row per node.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the model types: a migration must not change when the models do.
ID = sa.String(36)
ADDRESS = sa.String(42)
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pool_nodes",
        sa.Column("node_id", ID, nullable=False),
        sa.Column("provider", ADDRESS, nullable=False),
        sa.Column("endpoint", sa.String(253), nullable=False),
        sa.Column("registration", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("signature", sa.LargeBinary(65), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("state_message", sa.Text(), nullable=False),
        sa.Column("capacity", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("load", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("stake", sa.String(80), nullable=False),
        sa.Column("register_time", TIME, nullable=False),
        sa.Column("last_heartbeat_time", TIME, nullable=True),
        sa.Column("lease_expire_time", TIME, nullable=False),
        sa.Column("state_time", TIME, nullable=False),
        sa.Column("deregister", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("node_id", name=op.f("pk_pool_nodes")),
    )
    op.create_index(op.f("ix_pool_nodes_endpoint"), "pool_nodes", ["endpoint"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pool_nodes_endpoint"), table_name="pool_nodes")
    op.drop_table("pool_nodes")
