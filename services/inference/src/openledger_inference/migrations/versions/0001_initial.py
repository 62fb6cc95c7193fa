"""Completions: idempotency and the metering outbox.

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
ADDRESS = sa.String(42)
ID = sa.String(36)
WEI = sa.String(80)
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "completions",
        sa.Column("inference_id", ID, nullable=False),
        sa.Column("request_id", sa.String(100), nullable=True),
        sa.Column("payer_address", ADDRESS, nullable=False),
        sa.Column("adapter", sa.String(80), nullable=False),
        sa.Column("adapter_sha256", sa.LargeBinary(32), nullable=False),
        sa.Column("base_model", sa.String(63), nullable=False),
        sa.Column("node", sa.String(200), nullable=False),
        sa.Column("provider_address", ADDRESS, nullable=False),
        sa.Column("prompt_token_ids", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("output_token_ids", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("output_text", sa.Text(), nullable=False),
        sa.Column("finish_reason", sa.String(16), nullable=False),
        sa.Column("matched_stop_sequence", sa.Text(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("fee", WEI, nullable=False),
        sa.Column("fee_per_1k_tokens", WEI, nullable=False),
        sa.Column("fee_rate_block_number", sa.BigInteger(), nullable=False),
        sa.Column("create_time", TIME, nullable=False),
        sa.Column("start_time", TIME, nullable=True),
        sa.Column("first_token_time", TIME, nullable=True),
        sa.Column("complete_time", TIME, nullable=False),
        sa.Column("publish_time", TIME, nullable=True),
        sa.PrimaryKeyConstraint("inference_id", name=op.f("pk_completions")),
    )
    for columns in (
        ["payer_address", "request_id", "create_time"],
        ["publish_time", "create_time"],
    ):
        op.create_index(op.f(f"ix_completions_{'_'.join(columns)}"), "completions", columns)


def downgrade() -> None:
    op.drop_table("completions")
