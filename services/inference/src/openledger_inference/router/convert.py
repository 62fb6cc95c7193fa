"""``NodeRegistration`` and ``Node`` between the pool's domain values and
``openledger.inference.v1`` messages, for the router's servicer and the node's pool client."""

from __future__ import annotations

from datetime import UTC, datetime

from openledger.inference.v1 import node_pb2
from openledger_inference.api.convert import (
    capacity_from_proto,
    capacity_to_proto,
    engine_kind_from_proto,
    engine_kind_to_proto,
    load_report_to_proto,
)
from openledger_inference.router.pool import NodeState, PoolNode
from openledger_inference.router.registration import NodeRegistration
from openledger_kit.errors import InvalidArgument
from openledger_kit.values_proto import timestamp

STATES: dict[NodeState, node_pb2.NodeState] = {
    NodeState.REGISTERED: node_pb2.NODE_STATE_REGISTERED,
    NodeState.ACTIVE: node_pb2.NODE_STATE_ACTIVE,
    NodeState.DRAINING: node_pb2.NODE_STATE_DRAINING,
    NodeState.UNHEALTHY: node_pb2.NODE_STATE_UNHEALTHY,
    NodeState.REMOVED: node_pb2.NODE_STATE_REMOVED,
}


def registration_from_proto(message: node_pb2.NodeRegistration) -> NodeRegistration:
    field = "registration"
    if not message.HasField("capacity"):
        raise InvalidArgument(f"{field}.capacity", "is required")
    if not message.HasField("expire_time"):
        raise InvalidArgument(f"{field}.expire_time", "is required")
    if message.expire_time.nanos != 0:
        raise InvalidArgument(f"{field}.expire_time", "must be whole seconds")
    return NodeRegistration(
        provider_address=message.provider_address,
        endpoint=message.endpoint,
        metadata_hash=bytes(message.metadata_hash),
        engine=engine_kind_from_proto(message.engine, f"{field}.engine"),
        base_models=tuple(message.base_models),
        capacity=capacity_from_proto(message.capacity),
        chain_id=message.chain_id,
        pool_contract=message.pool_contract,
        expire_time=datetime.fromtimestamp(message.expire_time.seconds, UTC),
        signature=bytes(message.signature),
    )


def registration_to_proto(registration: NodeRegistration) -> node_pb2.NodeRegistration:
    return node_pb2.NodeRegistration(
        provider_address=registration.provider_address,
        endpoint=registration.endpoint,
        metadata_hash=registration.metadata_hash,
        engine=engine_kind_to_proto(registration.engine),
        base_models=list(registration.base_models),
        capacity=capacity_to_proto(registration.capacity),
        chain_id=registration.chain_id,
        pool_contract=registration.pool_contract,
        expire_time=timestamp(registration.expire_time),
        signature=registration.signature,
    )


def node_to_proto(node: PoolNode) -> node_pb2.Node:
    message = node_pb2.Node(
        name=node.name,
        registration=registration_to_proto(node.registration),
        state=STATES[node.state],
        state_message=node.state_message,
        capacity=capacity_to_proto(node.capacity),
        stake=str(node.stake),
        register_time=timestamp(node.register_time),
        lease_expire_time=timestamp(node.lease_expire_time),
    )
    if node.load is not None:
        message.load.CopyFrom(load_report_to_proto(node.load))
    if node.last_heartbeat_time is not None:
        message.last_heartbeat_time.CopyFrom(timestamp(node.last_heartbeat_time))
    return message


def state_from_proto(state: int, field_path: str) -> NodeState:
    for domain_state, number in STATES.items():
        if number == state:
            return domain_state
    raise InvalidArgument(field_path, f"{state} is not a NodeState")
