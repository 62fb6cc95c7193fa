"""``InferenceNode`` over gRPC (``openledger.inference.v1.InferenceService``): each RPC converts
its request, calls the node with the authenticated caller and converts the result back.
Errors are ``openledger_kit.errors`` raised by the domain; the kit's interceptor maps them.

Two things live here because they are about the RPCs rather than the node: paging of
``ListAdapters`` and the replay of admin ``LoadAdapter``/``UnloadAdapter`` retries by
``request_id``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from openledger.inference.v1 import inference_service_pb2 as pb
from openledger.inference.v1 import inference_service_pb2_grpc as pb_grpc
from openledger_inference.api import convert
from openledger_inference.domain.model import AdapterRef, AdapterState, Tier
from openledger_inference.domain.node import InferenceNode
from openledger_kit import pages
from openledger_kit.auth import current_caller
from openledger_kit.errors import InvalidArgument, Unavailable

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["InferenceService"].full_name
"""``openledger.inference.v1.InferenceService``."""

LIST = "ListAdapters"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


def _page_size(page_size: int) -> int:
    if page_size < 0:
        raise InvalidArgument("page_size", "must not be negative")
    return min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _offset(key: str) -> int:
    if not key.isdigit():
        raise InvalidArgument("page_token", f"not a page token of {LIST}")
    return int(key)


def _matches(state: AdapterState, tier: Tier | None, base_model: str, pinned_only: bool) -> bool:
    return (
        (tier is None or state.tier is tier)
        and (not base_model or state.adapter.descriptor.base_model == base_model)
        and (state.pinned or not pinned_only)
    )


class InferenceServicer(pb_grpc.InferenceServiceServicer):
    """Translates ``InferenceService`` to ``InferenceNode``. ``ready`` is set once the engine
    and the node have started: generation and adapter RPCs before it are UNAVAILABLE."""

    def __init__(self, node: InferenceNode, ready: asyncio.Event) -> None:
        self.node = node
        self.ready = ready

    def _require_ready(self) -> None:
        if not self.ready.is_set():
            raise Unavailable("the node is starting: its engine is not serving yet")

    async def Generate(  # noqa: N802 - gRPC method names
        self, request: pb.GenerateRequest, context: Any
    ) -> pb.GenerateResponse:
        generation = convert.generation_request_from_proto(request)
        self._require_ready()
        # A client that cancels (or whose deadline passes) cancels this task: the node records
        # the completion as CANCELLED before the CancelledError leaves it.
        completion = await self.node.generate(generation, current_caller())
        return pb.GenerateResponse(completion=convert.completion_to_proto(completion))

    async def GenerateStream(  # noqa: N802
        self, request: pb.GenerateStreamRequest, context: Any
    ) -> AsyncIterator[pb.GenerateStreamResponse]:
        generation = convert.generation_request_from_proto(request)
        self._require_ready()
        deltas = self.node.generate_stream(generation, current_caller())
        # A client that cancels ends this generator early; closing the node's stream then
        # ends the generation CANCELLED, recorded before the stream closes.
        async with contextlib.aclosing(deltas):
            async for delta in deltas:
                yield pb.GenerateStreamResponse(chunk=convert.chunk_to_proto(delta))

    async def ListAdapters(  # noqa: N802
        self, request: pb.ListAdaptersRequest, context: Any
    ) -> pb.ListAdaptersResponse:
        size = _page_size(request.page_size)
        filters = pages.fingerprint(request.tier, request.base_model, request.pinned_only)
        offset = 0
        if request.page_token:
            offset = _offset(pages.decode_token(request.page_token, filters, list_name=LIST))
        tier = convert.tier_from_proto(request.tier, "tier")
        matching = [
            state
            for state in self.node.list_adapters()
            if _matches(state, tier, request.base_model, request.pinned_only)
        ]
        # Offsets, not keys: the order (tier, then most recently used) moves as adapters serve,
        # so a key-based cursor has nothing stable to resume after.
        page = matching[offset : offset + size]
        more = offset + size < len(matching)
        return pb.ListAdaptersResponse(
            adapters=[convert.loaded_adapter_to_proto(state) for state in page],
            next_page_token=pages.encode_token(filters, str(offset + size)) if more else "",
            total_size=len(matching),
        )

    async def LoadAdapter(  # noqa: N802
        self, request: pb.LoadAdapterRequest, context: Any
    ) -> pb.LoadAdapterResponse:
        ref = AdapterRef.parse(request.adapter, "adapter")
        tier = convert.tier_from_proto(request.tier, "tier") or Tier.GPU
        caller = current_caller()
        self._require_ready()

        state = await self.node.load_adapter(
            ref, tier, pin=request.pin, caller=caller, request_id=request.request_id
        )
        return pb.LoadAdapterResponse(adapter=convert.loaded_adapter_to_proto(state))

    async def UnloadAdapter(  # noqa: N802
        self, request: pb.UnloadAdapterRequest, context: Any
    ) -> pb.UnloadAdapterResponse:
        ref = AdapterRef.parse(request.adapter, "adapter")
        caller = current_caller()
        self._require_ready()

        state = await self.node.unload_adapter(
            ref,
            remove_from_disk=request.remove_from_disk,
            caller=caller,
            request_id=request.request_id,
        )
        if state is None:
            return pb.UnloadAdapterResponse()
        return pb.UnloadAdapterResponse(adapter=convert.loaded_adapter_to_proto(state))

    async def GetNodeStatus(  # noqa: N802
        self, request: pb.GetNodeStatusRequest, context: Any
    ) -> pb.GetNodeStatusResponse:
        return pb.GetNodeStatusResponse(status=convert.node_status_to_proto(self.node.status()))
