"""The router's membership storage: one row per pool node, so a restarted router keeps its pool.

The signed registration is stored field by field with its signature, enough to re-verify it
(``registration.recover_provider``). Each method is one transaction; the pool calls them
through ``asyncio.to_thread``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, LargeBinary, String, Text, delete, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from openledger_inference.domain.model import EngineCapacity, EngineKind, NodeLoadReport, Tier
from openledger_inference.router.pool import NodeState, PoolNode
from openledger_inference.router.registration import NodeRegistration
from openledger_kit.db import Store
from openledger_kit.db.types import (
    ADDRESS_LENGTH,
    ID_LENGTH,
    WEI_LENGTH,
    JsonColumn,
    UTCDateTime,
    named_metadata,
)

MIGRATIONS = "openledger_inference.router:migrations"


class Base(DeclarativeBase):
    metadata = named_metadata()


metadata = Base.metadata


class NodeRow(Base):
    __tablename__ = "pool_nodes"

    node_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    provider: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    endpoint: Mapped[str] = mapped_column(String(253), index=True)
    registration: Mapped[dict[str, Any]] = mapped_column(JsonColumn())
    signature: Mapped[bytes] = mapped_column(LargeBinary(65))
    state: Mapped[str] = mapped_column(String(16))
    state_message: Mapped[str] = mapped_column(Text)
    capacity: Mapped[dict[str, Any]] = mapped_column(JsonColumn())
    load: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn(), nullable=True)
    stake: Mapped[str] = mapped_column(String(WEI_LENGTH))
    register_time: Mapped[datetime] = mapped_column(UTCDateTime)
    last_heartbeat_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_expire_time: Mapped[datetime] = mapped_column(UTCDateTime)
    state_time: Mapped[datetime] = mapped_column(UTCDateTime)
    deregister: Mapped[bool] = mapped_column(Boolean)


class PoolRepository(Store):
    """``pool.NodeRepository`` on SQLAlchemy (SQLite by default)."""

    MIGRATIONS = MIGRATIONS

    def load_nodes(self) -> list[PoolNode]:
        def work(session: Session) -> list[PoolNode]:
            return [_node(row) for row in session.scalars(select(NodeRow))]

        return self._read(work)

    def save_node(self, node: PoolNode) -> None:
        def work(session: Session) -> None:
            session.merge(_row(node))

        self._write(work)

    def delete_nodes(self, node_ids: Sequence[str]) -> None:
        def work(session: Session) -> None:
            session.execute(delete(NodeRow).where(NodeRow.node_id.in_(list(node_ids))))

        self._write(work)


def _capacity_json(capacity: EngineCapacity) -> dict[str, Any]:
    return {
        "max_concurrent_requests": capacity.max_concurrent_requests,
        "max_loras": capacity.max_loras,
        "max_cpu_loras": capacity.max_cpu_loras,
        "max_lora_rank": capacity.max_lora_rank,
        "max_context_tokens": capacity.max_context_tokens,
        "device": capacity.device,
        "accelerator_count": capacity.accelerator_count,
        "accelerator_memory_bytes": capacity.accelerator_memory_bytes,
    }


def _capacity(data: dict[str, Any]) -> EngineCapacity:
    return EngineCapacity(**data)


def _load_json(load: NodeLoadReport | None) -> dict[str, Any] | None:
    if load is None:
        return None
    return {
        "queue_depth": load.queue_depth,
        "running_requests": load.running_requests,
        "tokens_per_second": load.tokens_per_second,
        "kv_cache_usage": load.kv_cache_usage,
        "adapters": [[name, tier.name, pinned] for name, tier, pinned in load.adapters],
    }


def _load(data: dict[str, Any] | None) -> NodeLoadReport | None:
    if data is None:
        return None
    return NodeLoadReport(
        queue_depth=data["queue_depth"],
        running_requests=data["running_requests"],
        tokens_per_second=data["tokens_per_second"],
        kv_cache_usage=data["kv_cache_usage"],
        adapters=[(name, Tier[tier], pinned) for name, tier, pinned in data["adapters"]],
    )


def _row(node: PoolNode) -> NodeRow:
    registration = node.registration
    return NodeRow(
        node_id=node.node_id,
        provider=node.provider,
        endpoint=node.endpoint,
        registration={
            "provider_address": registration.provider_address,
            "endpoint": registration.endpoint,
            "metadata_hash": registration.metadata_hash.hex(),
            "engine": registration.engine.value,
            "base_models": list(registration.base_models),
            "capacity": _capacity_json(registration.capacity),
            "chain_id": registration.chain_id,
            "pool_contract": registration.pool_contract,
            "expire_time": registration.expire_seconds,
        },
        signature=registration.signature,
        state=node.state.value,
        state_message=node.state_message,
        capacity=_capacity_json(node.capacity),
        load=_load_json(node.load),
        stake=str(node.stake),
        register_time=node.register_time,
        last_heartbeat_time=node.last_heartbeat_time,
        lease_expire_time=node.lease_expire_time,
        state_time=node.state_time,
        deregister=node.deregister,
    )


def _node(row: NodeRow) -> PoolNode:
    data = row.registration
    registration = NodeRegistration(
        provider_address=data["provider_address"],
        endpoint=data["endpoint"],
        metadata_hash=bytes.fromhex(data["metadata_hash"]),
        engine=EngineKind(data["engine"]),
        base_models=tuple(data["base_models"]),
        capacity=_capacity(data["capacity"]),
        chain_id=data["chain_id"],
        pool_contract=data["pool_contract"],
        expire_time=datetime.fromtimestamp(data["expire_time"], UTC),
        signature=bytes(row.signature),
    )
    return PoolNode(
        node_id=row.node_id,
        registration=registration,
        state=NodeState(row.state),
        state_message=row.state_message,
        capacity=_capacity(row.capacity),
        load=_load(row.load),
        stake=int(row.stake),
        register_time=row.register_time,
        last_heartbeat_time=row.last_heartbeat_time,
        lease_expire_time=row.lease_expire_time,
        state_time=row.state_time,
        deregister=row.deregister,
    )
