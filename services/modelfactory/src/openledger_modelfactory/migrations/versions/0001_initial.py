"""Jobs, job updates, job run state, adapters.

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
SHORT_ID = sa.String(63)
WEI = sa.String(80)
HASH = sa.LargeBinary(32)
TIME = sa.DateTime(timezone=True)


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", ID, nullable=False),
        sa.Column("display_name", NAME, nullable=False),
        sa.Column("owner", ADDRESS, nullable=False),
        sa.Column("config", _json(), nullable=False),
        sa.Column("base_model", SHORT_ID, nullable=False),
        sa.Column("snapshot", NAME, nullable=False),
        sa.Column("adapter_id", SHORT_ID, nullable=False),
        sa.Column("snapshot_merkle_root", HASH, nullable=False),
        sa.Column("snapshot_record_count", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("create_time", TIME, nullable=False),
        sa.Column("update_time", TIME, nullable=False),
        sa.Column("start_time", TIME, nullable=True),
        sa.Column("end_time", TIME, nullable=True),
        sa.Column("memory_estimate", _json(), nullable=False),
        sa.Column("base_model_revision", sa.String(128), nullable=False),
        sa.Column("request_id", sa.String(100), nullable=True),
        sa.Column("request_hash", HASH, nullable=False),
        sa.Column("progress_fraction", sa.Float(), nullable=False),
        sa.Column("progress", _json(), nullable=False),
        sa.Column("error_reason", sa.String(64), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("attempts", _json(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("latest_checkpoint", _json(), nullable=True),
        sa.Column("adapter", NAME, nullable=False),
        sa.Column("ray_job_id", NAME, nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("request_id", name=op.f("uq_jobs_request_id")),
    )
    for columns in (
        ["create_time", "id"],
        ["state", "create_time"],
        ["owner", "state"],
        ["snapshot", "create_time"],
        ["base_model", "create_time"],
        ["adapter_id", "create_time"],
    ):
        op.create_index(op.f(f"ix_jobs_{'_'.join(columns)}"), "jobs", columns)

    op.create_table(
        "job_updates",
        sa.Column("job_id", ID, nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("update", _json(), nullable=False),
        sa.Column("update_time", TIME, nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_updates_job_id_jobs")),
        sa.PrimaryKeyConstraint("job_id", "sequence", name=op.f("pk_job_updates")),
    )

    op.create_table(
        "job_runs",
        sa.Column("job_id", ID, nullable=False),
        sa.Column("handle", NAME, nullable=False),
        sa.Column("launched_attempt", sa.Integer(), nullable=False),
        sa.Column("channel_after", sa.String(64), nullable=False),
        sa.Column("finished", sa.Text(), nullable=True),
        sa.Column("registration_version", sa.Integer(), nullable=True),
        sa.Column("registration_tx_hash", HASH, nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_runs_job_id_jobs")),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_job_runs")),
    )

    op.create_table(
        "adapters",
        sa.Column("adapter_id", SHORT_ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("base_model", SHORT_ID, nullable=False),
        sa.Column("base_model_revision", sa.String(128), nullable=False),
        sa.Column("snapshots", _json(), nullable=False),
        sa.Column("snapshot", NAME, nullable=False),
        sa.Column("training_job", ID, nullable=False),
        sa.Column("config", _json(), nullable=False),
        sa.Column("prompt_template", sa.Text(), nullable=False),
        sa.Column("metrics", _json(), nullable=False),
        sa.Column("adapter_sha256", HASH, nullable=False),
        sa.Column("trainable_parameters", sa.BigInteger(), nullable=False),
        sa.Column("adapter_model", _json(), nullable=False),
        sa.Column("adapter_config", _json(), nullable=False),
        sa.Column("lineage_manifest", _json(), nullable=False),
        sa.Column("attribution_features", _json(), nullable=True),
        sa.Column("registration", _json(), nullable=False),
        sa.Column("owner", ADDRESS, nullable=False),
        sa.Column("fee_per_1k_tokens", WEI, nullable=False),
        sa.Column("create_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("adapter_id", "version", name=op.f("pk_adapters")),
    )
    for columns in (
        ["create_time", "adapter_id", "version"],
        ["owner", "create_time"],
        ["base_model", "create_time"],
        ["snapshot", "create_time"],
        ["training_job"],
    ):
        op.create_index(op.f(f"ix_adapters_{'_'.join(columns)}"), "adapters", columns)


def downgrade() -> None:
    op.drop_table("adapters")
    op.drop_table("job_runs")
    op.drop_table("job_updates")
    op.drop_table("jobs")
