"""SQLAlchemy 2 models of the datanet service's relational state.

Tables (created by ``migrations/versions/0001_initial.py``; keep the two in step):

- ``datanets``: configuration, lifecycle, counters and the per-datanet sequence counters
  (``last_accept_sequence``, ``last_snapshot_sequence``) that are bumped under the datanet row;
- ``contributions``: one per submitted record: the signed content while PENDING, the curated
  content and outcome once decided, the dedupe state (exact key, MinHash, embedding) and the
  position in the acceptance order;
- ``contributors``: one per (datanet, address): stake cache, counters, reputation and the
  slashing window;
- ``penalties``: slashes and suspensions;
- ``snapshots`` and ``snapshot_records``: the snapshot jobs and, once frozen, their records in
  leaf order;
- ``idempotency_keys``: request id -> the response of the mutation it made;
- ``processed_events``: the inbox of ``openledger_kit.db.claim_event``.

Enumerated columns hold the values of ``openledger_datanet.domain.model``'s enums, the proto
enum value names without their prefix (``ACCEPTED``, ``REGISTERING``, ``SUCCEEDED``...). Wei
amounts are decimal strings (uint256 does not fit a SQL integer). Times are stored as naive UTC
and read back as aware UTC datetimes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from openledger_kit.db import add_inbox_table
from openledger_kit.db.types import (
    ADDRESS_LENGTH,
    ID_LENGTH,
    WEI_LENGTH,
    JsonColumn,
    UTCDateTime,
    named_metadata,
)


class Base(DeclarativeBase):
    metadata = named_metadata()


INBOX = add_inbox_table(Base.metadata)
"""``processed_events``: the exactly-once marks of event handlers."""


class DatanetRow(Base):
    __tablename__ = "datanets"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(63), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    record_schema: Mapped[dict[str, Any]] = mapped_column(JsonColumn())
    curation_policy: Mapped[dict[str, Any]] = mapped_column(JsonColumn())
    stake_required: Mapped[str] = mapped_column(String(WEI_LENGTH), default="0")
    curator: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), index=True)
    state: Mapped[str] = mapped_column(String(32))
    revision: Mapped[int] = mapped_column(BigInteger, default=1)
    registration: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn(), nullable=True)
    accepted_count: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected_count: Mapped[int] = mapped_column(BigInteger, default=0)
    pending_count: Mapped[int] = mapped_column(BigInteger, default=0)
    contributor_count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_accept_sequence: Mapped[int] = mapped_column(BigInteger, default=0)
    last_snapshot_sequence: Mapped[int] = mapped_column(BigInteger, default=0)
    latest_snapshot_sequence: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index(None, "create_time", "id"),)


class ContributionRow(Base):
    __tablename__ = "contributions"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    datanet_id: Mapped[str] = mapped_column(ForeignKey("datanets.id"))
    contributor: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    content_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    signature: Mapped[bytes] = mapped_column(LargeBinary(65))
    # As submitted; cleared once curation stores the curated content (the unredacted original
    # is not kept, contribution.proto).
    content: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn(), nullable=True)
    content_size_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    rejections: Mapped[list[Any]] = mapped_column(JsonColumn(), default=list)
    # ",NEAR_DUPLICATE,TOO_SHORT,": the rejection reasons in a form a LIKE filter can use.
    reason_codes: Mapped[str] = mapped_column(String(512), default="")
    redactions: Mapped[list[Any]] = mapped_column(JsonColumn(), default=list)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn(), nullable=True)
    curated_content: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn(), nullable=True)
    curated_content_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    exact_key: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    accept_sequence: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    datanet_revision: Mapped[int] = mapped_column(BigInteger, default=0)
    # The contributor's n-th curated contribution to this datanet (1, 2, ...): the slashing
    # window is a range of these.
    contributor_curate_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    counted_rejection: Mapped[bool] = mapped_column(Boolean, default=False)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    curate_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("datanet_id", "contributor", "content_hash"),
        UniqueConstraint("datanet_id", "accept_sequence"),
        Index(None, "datanet_id", "id"),
        Index(None, "datanet_id", "status", "id"),
        Index(None, "contributor", "id"),
        Index(None, "datanet_id", "contributor", "contributor_curate_seq"),
    )


class ContributorRow(Base):
    __tablename__ = "contributors"

    datanet_id: Mapped[str] = mapped_column(ForeignKey("datanets.id"), primary_key=True)
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), primary_key=True)
    stake: Mapped[str] = mapped_column(String(WEI_LENGTH), default="0")
    stake_block: Mapped[int] = mapped_column(BigInteger, default=0)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    accepted_count: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected_count: Mapped[int] = mapped_column(BigInteger, default=0)
    pending_count: Mapped[int] = mapped_column(BigInteger, default=0)
    reputation: Mapped[float] = mapped_column(Float, default=0.5)
    curated_count: Mapped[int] = mapped_column(BigInteger, default=0)
    # curated_count at the last slash: the window only looks at contributions after it.
    window_start: Mapped[int] = mapped_column(BigInteger, default=0)
    window_curated_count: Mapped[int] = mapped_column(Integer, default=0)
    window_counted_rejections: Mapped[int] = mapped_column(Integer, default=0)
    total_slashed: Mapped[str] = mapped_column(String(WEI_LENGTH), default="0")
    last_slash_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_contribution_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_contribution_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PenaltyRow(Base):
    __tablename__ = "penalties"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    datanet_id: Mapped[str] = mapped_column(ForeignKey("datanets.id"))
    contributor: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    kind: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32))
    amount: Mapped[str] = mapped_column(String(WEI_LENGTH), default="0")
    rejection_rate: Mapped[float] = mapped_column(Float, default=0.0)
    contributions: Mapped[list[Any]] = mapped_column(JsonColumn(), default=list)
    detail: Mapped[str] = mapped_column(Text, default="")
    transaction: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn(), nullable=True)
    reason_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(None, "datanet_id", "contributor", "create_time"),
        Index(None, "state", "create_time"),
    )


class SnapshotRow(Base):
    __tablename__ = "snapshots"

    datanet_id: Mapped[str] = mapped_column(ForeignKey("datanets.id"), primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    start_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error_reason: Mapped[str] = mapped_column(String(64), default="")
    error_message: Mapped[str] = mapped_column(Text, default="")
    creator: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), default="")
    accepted_before: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cutoff_accept_sequence: Mapped[int] = mapped_column(BigInteger)
    frozen_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    record_count: Mapped[int] = mapped_column(BigInteger, default=0)
    contributor_count: Mapped[int] = mapped_column(BigInteger, default=0)
    content_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    merkle_root: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    merkle_scheme: Mapped[str] = mapped_column(String(64), default="")
    jsonl: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn(), nullable=True)
    parquet: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn(), nullable=True)
    anchor: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn(), nullable=True)

    __table_args__ = (
        Index(None, "create_time", "datanet_id", "sequence"),
        Index(None, "state", "create_time"),
    )


class SnapshotRecordRow(Base):
    __tablename__ = "snapshot_records"

    datanet_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("contributions.id"))
    contributor: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    content_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    curated_content_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))

    __table_args__ = (
        ForeignKeyConstraint(
            ["datanet_id", "sequence"], ["snapshots.datanet_id", "snapshots.sequence"]
        ),
        UniqueConstraint("datanet_id", "sequence", "record_id"),
    )


class IdempotencyRow(Base):
    __tablename__ = "idempotency_keys"

    request_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    method: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary)
    response: Mapped[dict[str, Any]] = mapped_column(JsonColumn())
    create_time: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


metadata = Base.metadata
"""What ``migrations/env.py`` hands to Alembic (for autogenerate checks)."""
