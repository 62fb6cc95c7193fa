"""``InferencePoolService`` over gRPC: membership RPCs translate to ``Pool`` calls, generation
RPCs to the ``Forwarder``. Errors are ``openledger_kit.errors`` raised below; the kit's error
interceptor turns them into statuses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from google.protobuf.duration_pb2 import Duration

from openledger.inference.v1 import inference_pool_service_pb2 as pb
from openledger.inference.v1 import inference_pool_service_pb2_grpc as pb_grpc
from openledger_inference.api.convert import (
    capacity_from_proto,
    load_report_from_proto,
    tier_from_proto,
)
from openledger_inference.router.convert import (
    STATES,
    node_to_proto,
    registration_from_proto,
    state_from_proto,
)
from openledger_inference.router.forwarder import Forwarder
from openledger_inference.router.pool import NodeFilter, Pool
from openledger_kit.auth import current_caller
from openledger_kit.errors import InvalidArgument
from openledger_kit.values_proto import timestamp

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["InferencePoolService"].full_name
"""``openledger.inference.v1.InferencePoolService``."""


class PoolServicer(pb_grpc.InferencePoolServiceServicer):
    """Translates ``InferencePoolService`` to ``Pool`` and ``Forwarder``."""

    def __init__(self, pool: Pool, forwarder: Forwarder) -> None:
        self.pool = pool
        self.forwarder = forwarder

    async def RegisterNode(  # noqa: N802 - gRPC method names
        self, request: pb.RegisterNodeRequest, context: Any
    ) -> pb.RegisterNodeResponse:
        if not request.HasField("registration"):
            raise InvalidArgument("registration", "is required")
        node = await self.pool.register(
            registration_from_proto(request.registration),
            request_id=request.request_id,
            signer=current_caller().address,
        )
        return pb.RegisterNodeResponse(
            node=node_to_proto(node),
            heartbeat_interval=_duration(self.pool.heartbeat_interval.total_seconds()),
            lease_duration=_duration(self.pool.lease.total_seconds()),
        )

    async def Heartbeat(  # noqa: N802
        self, request: pb.HeartbeatRequest, context: Any
    ) -> pb.HeartbeatResponse:
        if not request.HasField("capacity"):
            raise InvalidArgument("capacity", "is required")
        answer = await self.pool.heartbeat(
            request.name,
            capacity=capacity_from_proto(request.capacity),
            load=load_report_from_proto(request.load),
            healthy=request.healthy,
            caller=current_caller(),
        )
        return pb.HeartbeatResponse(
            state=STATES[answer.node.state],
            drain=answer.drain,
            lease_expire_time=timestamp(answer.node.lease_expire_time),
            heartbeat_interval=_duration(answer.heartbeat_interval.total_seconds()),
            prefetch_adapters=list(answer.prefetch_adapters),
        )

    async def Drain(self, request: pb.DrainRequest, context: Any) -> pb.DrainResponse:  # noqa: N802
        node = await self.pool.drain(
            request.name,
            deregister=request.deregister,
            reason=request.reason,
            caller=current_caller(),
            request_id=request.request_id,
        )
        return pb.DrainResponse(node=node_to_proto(node))

    async def GetNode(  # noqa: N802
        self, request: pb.GetNodeRequest, context: Any
    ) -> pb.GetNodeResponse:
        return pb.GetNodeResponse(node=node_to_proto(self.pool.get(request.name)))

    async def ListNodes(  # noqa: N802
        self, request: pb.ListNodesRequest, context: Any
    ) -> pb.ListNodesResponse:
        states = frozenset(
            state_from_proto(state, f"states[{index}]")
            for index, state in enumerate(request.states)
        )
        node_filter = NodeFilter(
            states=states,
            base_model=request.base_model,
            adapter=request.adapter,
            adapter_tier=tier_from_proto(request.adapter_tier, "adapter_tier"),
            provider_address=request.provider_address,
        )
        page = self.pool.list_nodes(
            node_filter, page_size=request.page_size, page_token=request.page_token
        )
        return pb.ListNodesResponse(
            nodes=[node_to_proto(node) for node in page.nodes],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    async def Generate(  # noqa: N802
        self, request: pb.InferencePoolServiceGenerateRequest, context: Any
    ) -> pb.InferencePoolServiceGenerateResponse:
        payer = current_caller().address or ""
        # The client's deadline travels to the node, which then records a late generation
        # CANCELLED instead of finishing it for nobody.
        completion = await self.forwarder.generate(
            request, payer=payer, timeout=context.time_remaining()
        )
        return pb.InferencePoolServiceGenerateResponse(completion=completion)

    async def GenerateStream(  # noqa: N802
        self, request: pb.InferencePoolServiceGenerateStreamRequest, context: Any
    ) -> AsyncIterator[pb.InferencePoolServiceGenerateStreamResponse]:
        payer = current_caller().address or ""
        chunks = self.forwarder.generate_stream(
            request, payer=payer, timeout=context.time_remaining()
        )
        async for chunk in chunks:
            yield pb.InferencePoolServiceGenerateStreamResponse(chunk=chunk)


def _duration(seconds: float) -> Duration:
    duration = Duration()
    duration.FromNanoseconds(round(seconds * 1e9))
    return duration
