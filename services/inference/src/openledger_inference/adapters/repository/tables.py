"""SQLAlchemy 2 models of the node's relational state.

One table (created by ``migrations/versions/0001_initial.py``; keep the two in step):

- ``completions``: every completion the node finished, whatever its finish reason: the whole
  ``Completion`` (it answers idempotent retries), the payer's ``request_id`` (NULL without one;
  not unique, as a key may be reused once its 24 h window has passed) and ``publish_time``, NULL
  until ``CompletionRecorded`` went out (the metering outbox).

Wei amounts are decimal strings (uint256 does not fit a SQL integer). Times are stored as naive
UTC on SQLite and read back as aware UTC datetimes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from openledger_kit.db.types import (
    ADDRESS_LENGTH,
    ID_LENGTH,
    WEI_LENGTH,
    JsonColumn,
    UTCDateTime,
    named_metadata,
)

REQUEST_ID_LENGTH = 100
ADAPTER_LENGTH = 80
NODE_LENGTH = 200


class Base(DeclarativeBase):
    metadata = named_metadata()


class CompletionRow(Base):
    __tablename__ = "completions"

    inference_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    request_id: Mapped[str | None] = mapped_column(String(REQUEST_ID_LENGTH), nullable=True)
    payer_address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    adapter: Mapped[str] = mapped_column(String(ADAPTER_LENGTH))
    adapter_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    base_model: Mapped[str] = mapped_column(String(63))
    node: Mapped[str] = mapped_column(String(NODE_LENGTH))
    provider_address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    prompt_token_ids: Mapped[list[int]] = mapped_column(JsonColumn())
    output_token_ids: Mapped[list[int]] = mapped_column(JsonColumn())
    output_text: Mapped[str] = mapped_column(Text)
    finish_reason: Mapped[str] = mapped_column(String(16))
    matched_stop_sequence: Mapped[str] = mapped_column(Text)
    error_message: Mapped[str] = mapped_column(Text)
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    output_tokens: Mapped[int] = mapped_column(Integer)
    fee: Mapped[str] = mapped_column(String(WEI_LENGTH))
    fee_per_1k_tokens: Mapped[str] = mapped_column(String(WEI_LENGTH))
    fee_rate_block_number: Mapped[int] = mapped_column(BigInteger)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    start_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_token_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    complete_time: Mapped[datetime] = mapped_column(UTCDateTime)
    publish_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        Index(None, "payer_address", "request_id", "create_time"),
        Index(None, "publish_time", "create_time"),
    )


metadata = Base.metadata
"""What ``migrations/env.py`` hands to Alembic (for autogenerate checks)."""
