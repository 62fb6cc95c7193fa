"""Datanets, contributions, contributors, penalties, snapshots, idempotency keys, the inbox.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from openledger_kit.db.inbox import INBOX_TABLE, inbox_columns

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the model types: a migration must not change when the models do.
ADDRESS = sa.String(42)
ID = sa.String(36)
DATANET_ID = sa.String(63)
WEI = sa.String(80)
HASH = sa.LargeBinary(32)
TIME = sa.DateTime(timezone=True)


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True)


def upgrade() -> None:
    op.create_table(
        "datanets",
        sa.Column("id", DATANET_ID, nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("domain", sa.String(63), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("record_schema", _json(), nullable=False),
        sa.Column("curation_policy", _json(), nullable=False),
        sa.Column("stake_required", WEI, nullable=False),
        sa.Column("curator", ADDRESS, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("registration", _json(), nullable=True),
        sa.Column("accepted_count", sa.BigInteger(), nullable=False),
        sa.Column("rejected_count", sa.BigInteger(), nullable=False),
        sa.Column("pending_count", sa.BigInteger(), nullable=False),
        sa.Column("contributor_count", sa.BigInteger(), nullable=False),
        sa.Column("last_accept_sequence", sa.BigInteger(), nullable=False),
        sa.Column("last_snapshot_sequence", sa.BigInteger(), nullable=False),
        sa.Column("latest_snapshot_sequence", sa.BigInteger(), nullable=True),
        sa.Column("create_time", TIME, nullable=False),
        sa.Column("update_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datanets")),
    )
    op.create_index(op.f("ix_datanets_create_time_id"), "datanets", ["create_time", "id"])
    op.create_index(op.f("ix_datanets_curator"), "datanets", ["curator"])
    op.create_index(op.f("ix_datanets_domain"), "datanets", ["domain"])

    op.create_table(
        "contributions",
        sa.Column("id", ID, nullable=False),
        sa.Column("datanet_id", DATANET_ID, nullable=False),
        sa.Column("contributor", ADDRESS, nullable=False),
        sa.Column("content_hash", HASH, nullable=False),
        sa.Column("signature", sa.LargeBinary(65), nullable=False),
        sa.Column("content", _json(), nullable=True),
        sa.Column("content_size_bytes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rejections", _json(), nullable=False),
        sa.Column("reason_codes", sa.String(512), nullable=False),
        sa.Column("redactions", _json(), nullable=False),
        sa.Column("metrics", _json(), nullable=True),
        sa.Column("curated_content", _json(), nullable=True),
        sa.Column("curated_content_hash", HASH, nullable=True),
        sa.Column("exact_key", HASH, nullable=True),
        sa.Column("minhash", sa.LargeBinary(), nullable=True),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.Column("accept_sequence", sa.BigInteger(), nullable=True),
        sa.Column("datanet_revision", sa.BigInteger(), nullable=False),
        sa.Column("contributor_curate_seq", sa.BigInteger(), nullable=True),
        sa.Column("counted_rejection", sa.Boolean(), nullable=False),
        sa.Column("create_time", TIME, nullable=False),
        sa.Column("curate_time", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["datanet_id"], ["datanets.id"], name=op.f("fk_contributions_datanet_id_datanets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contributions")),
        sa.UniqueConstraint(
            "datanet_id",
            "accept_sequence",
            name=op.f("uq_contributions_datanet_id_accept_sequence"),
        ),
        sa.UniqueConstraint(
            "datanet_id",
            "contributor",
            "content_hash",
            name=op.f("uq_contributions_datanet_id_contributor_content_hash"),
        ),
    )
    op.create_index(op.f("ix_contributions_contributor_id"), "contributions", ["contributor", "id"])
    op.create_index(
        op.f("ix_contributions_datanet_id_contributor_contributor_curate_seq"),
        "contributions",
        ["datanet_id", "contributor", "contributor_curate_seq"],
    )
    op.create_index(op.f("ix_contributions_datanet_id_id"), "contributions", ["datanet_id", "id"])
    op.create_index(
        op.f("ix_contributions_datanet_id_status_id"),
        "contributions",
        ["datanet_id", "status", "id"],
    )

    op.create_table(
        "contributors",
        sa.Column("datanet_id", DATANET_ID, nullable=False),
        sa.Column("address", ADDRESS, nullable=False),
        sa.Column("stake", WEI, nullable=False),
        sa.Column("stake_block", sa.BigInteger(), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("accepted_count", sa.BigInteger(), nullable=False),
        sa.Column("rejected_count", sa.BigInteger(), nullable=False),
        sa.Column("pending_count", sa.BigInteger(), nullable=False),
        sa.Column("reputation", sa.Float(), nullable=False),
        sa.Column("curated_count", sa.BigInteger(), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("window_curated_count", sa.Integer(), nullable=False),
        sa.Column("window_counted_rejections", sa.Integer(), nullable=False),
        sa.Column("total_slashed", WEI, nullable=False),
        sa.Column("last_slash_time", TIME, nullable=True),
        sa.Column("first_contribution_time", TIME, nullable=True),
        sa.Column("last_contribution_time", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["datanet_id"], ["datanets.id"], name=op.f("fk_contributors_datanet_id_datanets")
        ),
        sa.PrimaryKeyConstraint("datanet_id", "address", name=op.f("pk_contributors")),
    )

    op.create_table(
        "penalties",
        sa.Column("id", ID, nullable=False),
        sa.Column("datanet_id", DATANET_ID, nullable=False),
        sa.Column("contributor", ADDRESS, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("amount", WEI, nullable=False),
        sa.Column("rejection_rate", sa.Float(), nullable=False),
        sa.Column("contributions", _json(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("transaction", _json(), nullable=True),
        sa.Column("reason_hash", HASH, nullable=False),
        sa.Column("create_time", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["datanet_id"], ["datanets.id"], name=op.f("fk_penalties_datanet_id_datanets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_penalties")),
    )
    op.create_index(
        op.f("ix_penalties_datanet_id_contributor_create_time"),
        "penalties",
        ["datanet_id", "contributor", "create_time"],
    )
    op.create_index(op.f("ix_penalties_state_create_time"), "penalties", ["state", "create_time"])

    op.create_table(
        "snapshots",
        sa.Column("datanet_id", DATANET_ID, nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("request_id", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("create_time", TIME, nullable=False),
        sa.Column("start_time", TIME, nullable=True),
        sa.Column("end_time", TIME, nullable=True),
        sa.Column("error_reason", sa.String(64), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("creator", ADDRESS, nullable=False),
        sa.Column("accepted_before", TIME, nullable=True),
        sa.Column("cutoff_accept_sequence", sa.BigInteger(), nullable=False),
        sa.Column("frozen_time", TIME, nullable=True),
        sa.Column("record_count", sa.BigInteger(), nullable=False),
        sa.Column("contributor_count", sa.BigInteger(), nullable=False),
        sa.Column("content_bytes", sa.BigInteger(), nullable=False),
        sa.Column("merkle_root", HASH, nullable=True),
        sa.Column("merkle_scheme", sa.String(64), nullable=False),
        sa.Column("jsonl", _json(), nullable=True),
        sa.Column("parquet", _json(), nullable=True),
        sa.Column("anchor", _json(), nullable=True),
        sa.ForeignKeyConstraint(
            ["datanet_id"], ["datanets.id"], name=op.f("fk_snapshots_datanet_id_datanets")
        ),
        sa.PrimaryKeyConstraint("datanet_id", "sequence", name=op.f("pk_snapshots")),
    )
    op.create_index(
        op.f("ix_snapshots_create_time_datanet_id_sequence"),
        "snapshots",
        ["create_time", "datanet_id", "sequence"],
    )
    op.create_index(op.f("ix_snapshots_state_create_time"), "snapshots", ["state", "create_time"])

    op.create_table(
        "snapshot_records",
        sa.Column("datanet_id", DATANET_ID, nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("index", sa.BigInteger(), nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("contributor", ADDRESS, nullable=False),
        sa.Column("content_hash", HASH, nullable=False),
        sa.Column("curated_content_hash", HASH, nullable=False),
        sa.Column("leaf_hash", HASH, nullable=False),
        sa.ForeignKeyConstraint(
            ["datanet_id", "sequence"],
            ["snapshots.datanet_id", "snapshots.sequence"],
            name=op.f("fk_snapshot_records_datanet_id_sequence_snapshots"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["contributions.id"],
            name=op.f("fk_snapshot_records_record_id_contributions"),
        ),
        sa.PrimaryKeyConstraint(
            "datanet_id", "sequence", "index", name=op.f("pk_snapshot_records")
        ),
        sa.UniqueConstraint(
            "datanet_id",
            "sequence",
            "record_id",
            name=op.f("uq_snapshot_records_datanet_id_sequence_record_id"),
        ),
    )

    op.create_table(
        "idempotency_keys",
        sa.Column("request_id", sa.String(100), nullable=False),
        sa.Column("method", sa.String(100), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("response", _json(), nullable=False),
        sa.Column("create_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(op.f("ix_idempotency_keys_create_time"), "idempotency_keys", ["create_time"])

    op.create_table(INBOX_TABLE, *inbox_columns())


def downgrade() -> None:
    op.drop_table(INBOX_TABLE)
    op.drop_table("idempotency_keys")
    op.drop_table("snapshot_records")
    op.drop_table("snapshots")
    op.drop_table("penalties")
    op.drop_table("contributors")
    op.drop_table("contributions")
    op.drop_table("datanets")
