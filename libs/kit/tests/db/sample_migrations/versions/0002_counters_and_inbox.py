"""A column added in batch mode, counters, and the inbox.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from openledger_kit.db.inbox import INBOX_TABLE, inbox_columns

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite cannot ALTER most things: batch mode rebuilds the table.
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("note", sa.String(200), nullable=True))
    op.create_table(
        "counters",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )
    op.create_table(INBOX_TABLE, *inbox_columns())


def downgrade() -> None:
    op.drop_table(INBOX_TABLE)
    op.drop_table("counters")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("note")
