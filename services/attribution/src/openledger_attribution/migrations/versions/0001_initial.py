"""Catalogue (adapters, snapshots, span indexes), completions, attributions with their
contributors, settlements.

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
NAME = sa.String(200)
DIGEST = sa.String(80)
REASON = sa.String(64)
WEI = sa.String(80)
HASH = sa.LargeBinary(32)
TIME = sa.DateTime(timezone=True)


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True)


def _fee_split(nullable: bool) -> list[sa.Column[object]]:
    return [
        sa.Column("split_fee", WEI, nullable=nullable),
        sa.Column("split_contributors_bps", sa.Integer(), nullable=nullable),
        sa.Column("split_model_owner_bps", sa.Integer(), nullable=nullable),
        sa.Column("split_protocol_bps", sa.Integer(), nullable=nullable),
        sa.Column("split_contributors_amount", WEI, nullable=nullable),
        sa.Column("split_model_owner_amount", WEI, nullable=nullable),
        sa.Column("split_protocol_amount", WEI, nullable=nullable),
        sa.Column("split_model_owner_address", ADDRESS, nullable=nullable),
        sa.Column("split_protocol_address", ADDRESS, nullable=nullable),
    ]


def _indexes(table: str, *column_lists: list[str]) -> None:
    for columns in column_lists:
        op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, columns)


def upgrade() -> None:
    op.create_table(
        "adapters",
        sa.Column("ref", NAME, nullable=False),
        sa.Column("base_model", NAME, nullable=False),
        sa.Column("owner", ADDRESS, nullable=False),
        sa.Column("adapter_sha256", HASH, nullable=False),
        sa.Column("snapshot", NAME, nullable=False),
        sa.Column("snapshot_merkle_root", HASH, nullable=False),
        sa.Column("adapter_model_digest", DIGEST, nullable=False),
        sa.Column("adapter_config_digest", DIGEST, nullable=False),
        sa.Column("features_digest", DIGEST, nullable=False),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_adapters")),
    )
    _indexes("adapters", ["snapshot"])

    op.create_table(
        "snapshots",
        sa.Column("name", NAME, nullable=False),
        sa.Column("merkle_root", HASH, nullable=False),
        sa.Column("record_count", sa.BigInteger(), nullable=False),
        sa.Column("jsonl_digest", DIGEST, nullable=False),
        sa.Column("publish_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_snapshots")),
    )

    op.create_table(
        "span_indexes",
        sa.Column("snapshot", NAME, nullable=False),
        sa.Column("base_model", NAME, nullable=False),
        sa.Column("sha256", HASH, nullable=False),
        sa.Column("manifest_digest", DIGEST, nullable=False),
        sa.Column("document_count", sa.BigInteger(), nullable=False),
        sa.Column("token_count", sa.BigInteger(), nullable=False),
        sa.Column("build_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("snapshot", "base_model", name=op.f("pk_span_indexes")),
    )

    op.create_table(
        "completions",
        sa.Column("inference_id", ID, nullable=False),
        sa.Column("adapter", NAME, nullable=False),
        sa.Column("adapter_sha256", HASH, nullable=False),
        sa.Column("base_model", NAME, nullable=False),
        sa.Column("payer", ADDRESS, nullable=False),
        sa.Column("prompt_ids", sa.LargeBinary(), nullable=False),
        sa.Column("output_ids", sa.LargeBinary(), nullable=False),
        sa.Column("fee", WEI, nullable=False),
        sa.Column("finish_reason", REASON, nullable=False),
        sa.Column("complete_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("inference_id", name=op.f("pk_completions")),
    )

    op.create_table(
        "attributions",
        sa.Column("inference_id", ID, nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("adapter", NAME, nullable=False),
        sa.Column("base_model", NAME, nullable=False),
        sa.Column("fee", WEI, nullable=False),
        sa.Column("payer", ADDRESS, nullable=False),
        sa.Column("create_time", TIME, nullable=False),
        sa.Column("snapshot", NAME, nullable=False),
        sa.Column("datanet", NAME, nullable=False),
        sa.Column("method", sa.String(16), nullable=True),
        sa.Column("span_weight_bps", sa.Integer(), nullable=False),
        sa.Column("min_span_tokens", sa.Integer(), nullable=False),
        sa.Column("max_span_occurrences", sa.BigInteger(), nullable=False),
        sa.Column("max_spans", sa.Integer(), nullable=False),
        sa.Column("projection_dim", sa.Integer(), nullable=False),
        sa.Column("projection_seed", sa.BigInteger(), nullable=False),
        sa.Column("damping", sa.Float(), nullable=False),
        sa.Column("max_examples", sa.Integer(), nullable=False),
        sa.Column("scorer_version", REASON, nullable=False),
        sa.Column("threshold_bps", sa.Integer(), nullable=False),
        *_fee_split(nullable=True),
        sa.Column("negative", _json(), nullable=False),
        sa.Column("evidence_hash", HASH, nullable=False),
        sa.Column("evidence_digest", DIGEST, nullable=False),
        sa.Column("snapshot_merkle_root", HASH, nullable=False),
        sa.Column("complete_time", TIME, nullable=True),
        sa.Column("error_reason", REASON, nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("settlement_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["inference_id"],
            ["completions.inference_id"],
            name=op.f("fk_attributions_inference_id_completions"),
        ),
        sa.PrimaryKeyConstraint("inference_id", name=op.f("pk_attributions")),
    )
    _indexes("attributions", ["state", "create_time"], ["complete_time", "inference_id"])

    op.create_table(
        "attribution_contributors",
        sa.Column("inference_id", ID, nullable=False),
        sa.Column("address", ADDRESS, nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("span_score", sa.Float(), nullable=False),
        sa.Column("gradient_score", sa.Float(), nullable=False),
        sa.Column("raw_share", sa.Float(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("amount", WEI, nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inference_id"],
            ["attributions.inference_id"],
            name=op.f("fk_attribution_contributors_inference_id_attributions"),
        ),
        sa.PrimaryKeyConstraint(
            "inference_id", "address", name=op.f("pk_attribution_contributors")
        ),
    )
    _indexes("attribution_contributors", ["address", "inference_id"])

    op.create_table(
        "settlements",
        sa.Column("id", ID, nullable=False),
        sa.Column("inference_id", ID, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("create_time", TIME, nullable=False),
        sa.Column("update_time", TIME, nullable=False),
        sa.Column("payouts", _json(), nullable=False),
        *_fee_split(nullable=False),
        sa.Column("evidence_hash", HASH, nullable=False),
        sa.Column("batch_id", NAME, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=True),
        sa.Column("contract", ADDRESS, nullable=True),
        sa.Column("tx_hash", HASH, nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("submit_time", TIME, nullable=True),
        sa.Column("confirm_time", TIME, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error_reason", REASON, nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("lease_owner", NAME, nullable=False),
        sa.Column("lease_until", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["inference_id"],
            ["attributions.inference_id"],
            name=op.f("fk_settlements_inference_id_attributions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
    )
    _indexes(
        "settlements",
        ["state", "create_time", "id"],
        ["inference_id", "create_time"],
        ["state", "published", "confirm_time"],
    )


def downgrade() -> None:
    op.drop_table("settlements")
    op.drop_table("attribution_contributors")
    op.drop_table("attributions")
    op.drop_table("completions")
    op.drop_table("span_indexes")
    op.drop_table("snapshots")
    op.drop_table("adapters")
