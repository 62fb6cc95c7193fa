"""SQLAlchemy 2 models of the attribution service's relational state.

Tables (created by ``migrations/versions/0001_initial.py``; keep the two in step):

- ``adapters``, ``snapshots``, ``span_indexes``: the catalogue fed by ``AdapterPublished`` and
  ``SnapshotPublished``, and the span indexes built from it;
- ``completions``: every ``CompletionRecorded`` received, token ids as uint32 little-endian
  blobs;
- ``attributions``: one per completion; ``settlement_id`` names its current settlement, the one
  its credits follow;
- ``attribution_contributors``: every contributor of an attribution, by (inference, address),
  indexed by address for the rewards listing;
- ``settlements``: one row per settlement with its payouts (JSON, in contract order), chain
  transaction and the lease of the worker settling it.

Enumerated columns hold the domain enums' values. Wei amounts are decimal strings (uint256 does
not fit a SQL integer, and SQLite's NUMERIC would round it). Addresses are stored EIP-55, so
an address compares case-insensitively once checksummed. Times are naive UTC on SQLite and read
back as aware UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
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
DIGEST_LENGTH = 80
REASON_LENGTH = 64


class Base(DeclarativeBase):
    metadata = named_metadata()


class AdapterRow(Base):
    __tablename__ = "adapters"

    ref: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    base_model: Mapped[str] = mapped_column(String(NAME_LENGTH))
    owner: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    adapter_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    snapshot: Mapped[str] = mapped_column(String(NAME_LENGTH))
    snapshot_merkle_root: Mapped[bytes] = mapped_column(LargeBinary(32))
    adapter_model_digest: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    adapter_config_digest: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    features_digest: Mapped[str] = mapped_column(String(DIGEST_LENGTH))

    __table_args__ = (Index(None, "snapshot"),)


class SnapshotRow(Base):
    __tablename__ = "snapshots"

    name: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    merkle_root: Mapped[bytes] = mapped_column(LargeBinary(32))
    record_count: Mapped[int] = mapped_column(BigInteger)
    jsonl_digest: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    publish_time: Mapped[datetime] = mapped_column(UTCDateTime)


class SpanIndexRow(Base):
    __tablename__ = "span_indexes"

    snapshot: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    base_model: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    manifest_digest: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    document_count: Mapped[int] = mapped_column(BigInteger)
    token_count: Mapped[int] = mapped_column(BigInteger)
    build_time: Mapped[datetime] = mapped_column(UTCDateTime)


class CompletionRow(Base):
    __tablename__ = "completions"

    inference_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    adapter: Mapped[str] = mapped_column(String(NAME_LENGTH))
    adapter_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    base_model: Mapped[str] = mapped_column(String(NAME_LENGTH))
    payer: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    prompt_ids: Mapped[bytes] = mapped_column(LargeBinary)
    output_ids: Mapped[bytes] = mapped_column(LargeBinary)
    fee: Mapped[str] = mapped_column(String(WEI_LENGTH))
    finish_reason: Mapped[str] = mapped_column(String(REASON_LENGTH))
    complete_time: Mapped[datetime] = mapped_column(UTCDateTime)


class AttributionRow(Base):
    __tablename__ = "attributions"

    inference_id: Mapped[str] = mapped_column(
        ForeignKey("completions.inference_id"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(24))
    adapter: Mapped[str] = mapped_column(String(NAME_LENGTH))
    base_model: Mapped[str] = mapped_column(String(NAME_LENGTH))
    fee: Mapped[str] = mapped_column(String(WEI_LENGTH))
    payer: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    snapshot: Mapped[str] = mapped_column(String(NAME_LENGTH))
    # The snapshot's datanet, for the rewards listing's filter.
    datanet: Mapped[str] = mapped_column(String(NAME_LENGTH))
    method: Mapped[str | None] = mapped_column(String(16), nullable=True)
    span_weight_bps: Mapped[int] = mapped_column(Integer)
    min_span_tokens: Mapped[int] = mapped_column(Integer)
    max_span_occurrences: Mapped[int] = mapped_column(BigInteger)
    max_spans: Mapped[int] = mapped_column(Integer)
    projection_dim: Mapped[int] = mapped_column(Integer)
    projection_seed: Mapped[int] = mapped_column(BigInteger)
    damping: Mapped[float] = mapped_column(Float)
    max_examples: Mapped[int] = mapped_column(Integer)
    scorer_version: Mapped[str] = mapped_column(String(REASON_LENGTH))
    threshold_bps: Mapped[int] = mapped_column(Integer)
    # The fee split: all NULL until the attribution has one.
    split_fee: Mapped[str | None] = mapped_column(String(WEI_LENGTH), nullable=True)
    split_contributors_bps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    split_model_owner_bps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    split_protocol_bps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    split_contributors_amount: Mapped[str | None] = mapped_column(String(WEI_LENGTH), nullable=True)
    split_model_owner_amount: Mapped[str | None] = mapped_column(String(WEI_LENGTH), nullable=True)
    split_protocol_amount: Mapped[str | None] = mapped_column(String(WEI_LENGTH), nullable=True)
    split_model_owner_address: Mapped[str | None] = mapped_column(
        String(ADDRESS_LENGTH), nullable=True
    )
    split_protocol_address: Mapped[str | None] = mapped_column(
        String(ADDRESS_LENGTH), nullable=True
    )
    negative: Mapped[list[Any]] = mapped_column(JsonColumn())
    evidence_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    evidence_digest: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    snapshot_merkle_root: Mapped[bytes] = mapped_column(LargeBinary(32))
    complete_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error_reason: Mapped[str] = mapped_column(String(REASON_LENGTH))
    error_message: Mapped[str] = mapped_column(Text)
    settlement_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), nullable=True)

    __table_args__ = (
        Index(None, "state", "create_time"),
        Index(None, "complete_time", "inference_id"),
    )


class ContributorRow(Base):
    __tablename__ = "attribution_contributors"

    inference_id: Mapped[str] = mapped_column(
        ForeignKey("attributions.inference_id"), primary_key=True
    )
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    span_score: Mapped[float] = mapped_column(Float)
    gradient_score: Mapped[float] = mapped_column(Float)
    raw_share: Mapped[float] = mapped_column(Float)
    eligible: Mapped[bool] = mapped_column(Boolean)
    share: Mapped[float] = mapped_column(Float)
    amount: Mapped[str] = mapped_column(String(WEI_LENGTH))
    record_count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index(None, "address", "inference_id"),)


class SettlementRow(Base):
    __tablename__ = "settlements"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    inference_id: Mapped[str] = mapped_column(ForeignKey("attributions.inference_id"))
    state: Mapped[str] = mapped_column(String(16))
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime)
    # [[address, amount], ...] by address ascending, as in the contract call.
    payouts: Mapped[list[Any]] = mapped_column(JsonColumn())
    split_fee: Mapped[str] = mapped_column(String(WEI_LENGTH))
    split_contributors_bps: Mapped[int] = mapped_column(Integer)
    split_model_owner_bps: Mapped[int] = mapped_column(Integer)
    split_protocol_bps: Mapped[int] = mapped_column(Integer)
    split_contributors_amount: Mapped[str] = mapped_column(String(WEI_LENGTH))
    split_model_owner_amount: Mapped[str] = mapped_column(String(WEI_LENGTH))
    split_protocol_amount: Mapped[str] = mapped_column(String(WEI_LENGTH))
    split_model_owner_address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    split_protocol_address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    evidence_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    batch_id: Mapped[str] = mapped_column(String(NAME_LENGTH))
    # The batch transaction: all NULL until SUBMITTED.
    chain_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    contract: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH), nullable=True)
    tx_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    submit_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    confirm_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer)
    error_reason: Mapped[str] = mapped_column(String(REASON_LENGTH))
    error_message: Mapped[str] = mapped_column(Text)
    published: Mapped[bool] = mapped_column(Boolean)
    # The worker settling it and until when; "" / NULL when nobody holds it.
    lease_owner: Mapped[str] = mapped_column(String(NAME_LENGTH))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        Index(None, "state", "create_time", "id"),
        Index(None, "inference_id", "create_time"),
        Index(None, "state", "published", "confirm_time"),
    )


metadata = Base.metadata
"""What ``migrations/env.py`` hands to Alembic (for autogenerate checks)."""
