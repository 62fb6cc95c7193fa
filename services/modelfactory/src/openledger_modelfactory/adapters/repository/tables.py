"""SQLAlchemy 2 models of the modelfactory service's relational state.

Tables (created by ``migrations/versions/0001_initial.py``; keep the two in step):

- ``jobs``: one row per training job: every ``TrainingJob`` field, the resolved config,
  progress, attempts and checkpoint as JSON, the request id (unique) with the request's hash,
  and ``sequence``, the number of updates recorded so far;
- ``job_updates``: every ``JobUpdate`` of every job by (job, sequence), which ``WatchJob`` and
  the event publisher replay from;
- ``job_runs``: the job runner's state per job: the launch handle, the last run-channel entry
  consumed, the ``RunFinished`` message being finalized and the version being registered;
- ``adapters``: one row per adapter version, primary key (adapter_id, version).

Enumerated columns hold the domain enums' values (``QUEUED``, ``TRAINING``...). Wei amounts are
decimal strings (uint256 does not fit a SQL integer). Times are stored as naive UTC on SQLite
and read back as aware UTC datetimes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from openledger_kit.db.types import (
    ADDRESS_LENGTH,
    ID_LENGTH,
    WEI_LENGTH,
    JsonColumn,
    UTCDateTime,
    named_metadata,
)

NAME_LENGTH = 200


class Base(DeclarativeBase):
    metadata = named_metadata()


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    owner: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    config: Mapped[dict[str, Any]] = mapped_column(JsonColumn())
    # Copies of config fields that ListJobs filters on.
    base_model: Mapped[str] = mapped_column(String(63))
    snapshot: Mapped[str] = mapped_column(String(NAME_LENGTH))
    adapter_id: Mapped[str] = mapped_column(String(63))
    snapshot_merkle_root: Mapped[bytes] = mapped_column(LargeBinary(32))
    snapshot_record_count: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))
    phase: Mapped[str] = mapped_column(String(16))
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime)
    start_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    memory_estimate: Mapped[dict[str, Any]] = mapped_column(JsonColumn())
    base_model_revision: Mapped[str] = mapped_column(String(128))
    # NULL for jobs created without one; unique among the others.
    request_id: Mapped[str | None] = mapped_column(String(100), nullable=True, unique=True)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    progress_fraction: Mapped[float] = mapped_column(Float)
    progress: Mapped[dict[str, Any]] = mapped_column(JsonColumn())
    error_reason: Mapped[str] = mapped_column(String(64))
    error_message: Mapped[str] = mapped_column(Text)
    attempts: Mapped[list[Any]] = mapped_column(JsonColumn())
    max_attempts: Mapped[int] = mapped_column(Integer)
    latest_checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn(), nullable=True)
    adapter: Mapped[str] = mapped_column(String(NAME_LENGTH))
    ray_job_id: Mapped[str] = mapped_column(String(NAME_LENGTH))
    sequence: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index(None, "create_time", "id"),
        Index(None, "state", "create_time"),
        Index(None, "owner", "state"),
        Index(None, "snapshot", "create_time"),
        Index(None, "base_model", "create_time"),
        Index(None, "adapter_id", "create_time"),
    )


class JobUpdateRow(Base):
    __tablename__ = "job_updates"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    update: Mapped[dict[str, Any]] = mapped_column(JsonColumn())
    update_time: Mapped[datetime] = mapped_column(UTCDateTime)


class JobRunRow(Base):
    __tablename__ = "job_runs"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), primary_key=True)
    handle: Mapped[str] = mapped_column(String(NAME_LENGTH))
    # Attempt number the latest launch was told to start with (RunSpec.first_attempt).
    launched_attempt: Mapped[int] = mapped_column(Integer)
    # Redis stream entry id of the last run-channel message applied ("0": none yet).
    channel_after: Mapped[str] = mapped_column(String(64))
    # The RunFinished message (run-channel JSON) while the job is REGISTERING.
    finished: Mapped[str | None] = mapped_column(Text, nullable=True)
    registration_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    registration_tx_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AdapterRow(Base):
    __tablename__ = "adapters"

    adapter_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    base_model: Mapped[str] = mapped_column(String(63))
    base_model_revision: Mapped[str] = mapped_column(String(128))
    snapshots: Mapped[list[Any]] = mapped_column(JsonColumn())
    # The first (in v1 the only) snapshot's name, for the ListAdapters filter.
    snapshot: Mapped[str] = mapped_column(String(NAME_LENGTH))
    training_job: Mapped[str] = mapped_column(String(ID_LENGTH))
    config: Mapped[dict[str, Any]] = mapped_column(JsonColumn())
    prompt_template: Mapped[str] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]] = mapped_column(JsonColumn())
    adapter_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    trainable_parameters: Mapped[int] = mapped_column(BigInteger)
    adapter_model: Mapped[dict[str, Any]] = mapped_column(JsonColumn())
    adapter_config: Mapped[dict[str, Any]] = mapped_column(JsonColumn())
    lineage_manifest: Mapped[dict[str, Any]] = mapped_column(JsonColumn())
    attribution_features: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn(), nullable=True)
    registration: Mapped[dict[str, Any]] = mapped_column(JsonColumn())
    owner: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    fee_per_1k_tokens: Mapped[str] = mapped_column(String(WEI_LENGTH))
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(None, "create_time", "adapter_id", "version"),
        Index(None, "owner", "create_time"),
        Index(None, "base_model", "create_time"),
        Index(None, "snapshot", "create_time"),
        Index(None, "training_job"),
    )


metadata = Base.metadata
"""What ``migrations/env.py`` hands to Alembic (for autogenerate checks)."""
