"""Forwarding a client's generation to a pool node, with one failover before the first token.

The router picks candidates with ``rank_candidates``, calls the first node's
``InferenceService`` with the service token (the client's payer goes in ``payer_address``), and
relays what the node answers. A node that cannot take the request (down, draining, queue full)
is replaced once by the next candidate, but only before anything reached the client: after the
first chunk the node has started generating and will meter what it produced, so a second node
would charge the client twice for one answer.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator
from typing import Any

import grpc
from google.protobuf.duration_pb2 import Duration

from openledger.inference.v1 import (
    generation_pb2,
    inference_service_pb2,
    inference_service_pb2_grpc,
)
from openledger.inference.v1.inference_pool_service_pb2 import (
    InferencePoolServiceGenerateRequest,
    InferencePoolServiceGenerateStreamRequest,
)
from openledger_inference.domain.model import AdapterRef
from openledger_inference.domain.ports import AdapterDirectory
from openledger_inference.router.model import NodeDirectory, RoutableNode
from openledger_inference.router.routing import rank_candidates
from openledger_kit.client import NO_RETRY, TlsConfig, connect
from openledger_kit.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    OpenLedgerError,
    PermissionDenied,
    ResourceExhausted,
    Unavailable,
)
from openledger_kit.server.status import bad_request, error_info

DOMAIN = "openledger.inference"
MAX_ATTEMPTS = 2
"""The first node and one retry (InferencePoolService.Generate)."""
AFFINITY_TTL_SECONDS = 24 * 3600.0
"""As long as a node keeps a ``request_id``'s completion for replay."""
AFFINITY_MAX_ENTRIES = 100_000

NO_ACTIVE_NODE = "NO_ACTIVE_NODE"
NODES_AT_CAPACITY = "NODES_AT_CAPACITY"
NODE_FAILED = "NODE_FAILED"
ADAPTER_NOT_PUBLISHED = "ADAPTER_NOT_PUBLISHED"

_FAILOVER_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        # A node shutting down cancels its calls: to this client that is a transport failure.
        grpc.StatusCode.CANCELLED,
    }
)


class RequestAffinity:
    """``(payer, request_id)`` → the node that got it, so that a client's retry reaches the node
    holding the recorded completion (and replays it) instead of generating and charging again.
    Bounded: the oldest entries go first, and entries expire with the node's replay window."""

    def __init__(
        self,
        *,
        ttl_seconds: float = AFFINITY_TTL_SECONDS,
        max_entries: int = AFFINITY_MAX_ENTRIES,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._nodes: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()

    def remember(self, payer: str, request_id: str, node: str, now: float) -> None:
        key = (payer.lower(), request_id)
        self._nodes[key] = (node, now + self._ttl)
        self._nodes.move_to_end(key)
        while len(self._nodes) > self._max:
            self._nodes.popitem(last=False)

    def node_for(self, payer: str, request_id: str, now: float) -> str | None:
        key = (payer.lower(), request_id)
        entry = self._nodes.get(key)
        if entry is None:
            return None
        node, expires = entry
        if expires <= now:
            del self._nodes[key]
            return None
        return node

    def __len__(self) -> int:
        return len(self._nodes)


def node_error(err: grpc.aio.AioRpcError, node: str) -> OpenLedgerError:
    """The domain error for a node's failed call, keeping its message, ``ErrorInfo`` and, for
    an invalid argument, the field it named."""
    code = err.code()
    message = err.details() or code.name
    info = error_info(err)
    reason = info.reason if info is not None and info.reason else None
    domain = info.domain if info is not None and info.domain else DOMAIN
    metadata = dict(info.metadata) if info is not None else {}
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        violations = bad_request(err)
        if violations is not None and violations.field_violations:
            violation = violations.field_violations[0]
            return InvalidArgument(
                violation.field,
                violation.description,
                reason=reason,
                domain=domain,
                metadata=metadata,
            )
        field, _, description = message.partition(": ")
        if not description or " " in field:
            field, description = "spec", message
        return InvalidArgument(field, description, reason=reason, domain=domain, metadata=metadata)
    kinds: dict[grpc.StatusCode, type[OpenLedgerError]] = {
        grpc.StatusCode.NOT_FOUND: NotFound,
        grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
        grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
        grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
        grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
        grpc.StatusCode.UNAVAILABLE: Unavailable,
        grpc.StatusCode.ABORTED: Aborted,
    }
    kind = kinds.get(code)
    if kind is not None:
        return kind(message, reason=reason, domain=domain, metadata=metadata)
    # The rest (a deadline, a node's internal error, its refusal of the router's token) are
    # failures of the node as far as the client can tell, not faults in its request.
    return Unavailable(
        f"node {node} failed: {code.name}: {message}",
        reason=NODE_FAILED,
        domain=DOMAIN,
        metadata={"node": node},
    )


class _Deadline:
    """The client's deadline, shared by every attempt."""

    def __init__(self, timeout: float | None) -> None:
        self._end = None if timeout is None else time.monotonic() + timeout

    def remaining(self) -> float | None:
        if self._end is None:
            return None
        return max(self._end - time.monotonic(), 0.0)


class Forwarder:
    """Routes ``InferencePoolService.Generate``/``GenerateStream`` to nodes of the pool."""

    def __init__(
        self,
        directory: NodeDirectory,
        adapters: AdapterDirectory,
        *,
        service_token: str | None,
        tls: bool = False,
    ) -> None:
        self.directory = directory
        self.adapters = adapters
        self._token = service_token
        self._tls = TlsConfig() if tls else None
        self._stubs: dict[str, tuple[grpc.aio.Channel, Any]] = {}
        self._affinity = RequestAffinity()

    async def generate(
        self,
        request: InferencePoolServiceGenerateRequest,
        *,
        payer: str,
        timeout: float | None = None,
    ) -> generation_pb2.Completion:
        """The node's completion, ``timings.total_duration`` extended by the router's time.
        ``timeout`` is the client's remaining deadline in seconds (None: none)."""
        started = time.monotonic()
        deadline = _Deadline(timeout)
        candidates, base_model = await self._candidates(request.spec, payer, request.request_id)
        node_request = inference_service_pb2.GenerateRequest(
            spec=request.spec,
            request_id=request.request_id,
            payer_address=payer,
            max_fee=request.max_fee,
        )
        for attempt, node in enumerate(candidates):
            last = attempt == len(candidates) - 1
            self._started(node, payer, request.request_id)
            call = self._stub(node).Generate(node_request, timeout=deadline.remaining())
            try:
                response = await call
            except grpc.aio.AioRpcError as err:
                self._raise_unless_failover(err, node, base_model, last=last)
                continue
            except asyncio.CancelledError:
                call.cancel()
                raise
            finally:
                self.directory.request_finished(node.name)
            completion: generation_pb2.Completion = response.completion
            _add_router_time(completion, time.monotonic() - started)
            return completion
        raise AssertionError("unreachable: the last attempt raises")

    async def generate_stream(
        self,
        request: InferencePoolServiceGenerateStreamRequest,
        *,
        payer: str,
        timeout: float | None = None,
    ) -> AsyncGenerator[generation_pb2.CompletionChunk, None]:
        """The node's chunks, unchanged. Closing the iterator (or cancelling its consumer)
        cancels the node's call."""
        deadline = _Deadline(timeout)
        candidates, base_model = await self._candidates(request.spec, payer, request.request_id)
        node_request = inference_service_pb2.GenerateStreamRequest(
            spec=request.spec,
            request_id=request.request_id,
            payer_address=payer,
            max_fee=request.max_fee,
        )
        for attempt, node in enumerate(candidates):
            last = attempt == len(candidates) - 1
            self._started(node, payer, request.request_id)
            call = self._stub(node).GenerateStream(node_request, timeout=deadline.remaining())
            relayed = False
            try:
                async for response in call:
                    chunk: generation_pb2.CompletionChunk = response.chunk
                    relayed = True
                    yield chunk
                    if chunk.finish_reason != generation_pb2.FINISH_REASON_UNSPECIFIED:
                        return
                raise self._broken_stream(node, "ended the stream without its last chunk")
            except grpc.aio.AioRpcError as err:
                if relayed:
                    if err.code() in _FAILOVER_CODES:
                        why = f"{err.code().name}: {err.details()}"
                        raise self._broken_stream(node, why) from None
                    raise node_error(err, node.name) from None
                self._raise_unless_failover(err, node, base_model, last=last)
            finally:
                # A no-op once the call ended; otherwise the client went away or the node broke
                # its stream, and the node must stop generating.
                call.cancel()
                self.directory.request_finished(node.name)

    async def close(self) -> None:
        """Close every node channel; calls in flight are cancelled."""
        stubs, self._stubs = self._stubs, {}
        for channel, _ in stubs.values():
            await channel.close()

    async def _candidates(
        self, spec: generation_pb2.GenerationSpec, payer: str, request_id: str
    ) -> tuple[list[RoutableNode], str]:
        adapter = AdapterRef.parse(spec.adapter, "spec.adapter") if spec.adapter else None
        base_model = spec.base_model
        if not base_model:
            if adapter is None:
                raise InvalidArgument("spec.base_model", "required when spec.adapter is empty")
            descriptor = await self.adapters.describe(adapter)
            if descriptor is None:
                raise NotFound(
                    f"adapter {adapter} is not published on ModelFactory",
                    reason=ADAPTER_NOT_PUBLISHED,
                    domain=DOMAIN,
                    metadata={"adapter": str(adapter)},
                )
            base_model = descriptor.base_model
        ranked = rank_candidates(
            self.directory.routable(base_model), None if adapter is None else str(adapter)
        )
        if not ranked:
            raise Unavailable(
                f"no ACTIVE node serves base model {base_model}",
                reason=NO_ACTIVE_NODE,
                domain=DOMAIN,
                metadata={"base_model": base_model},
            )
        if request_id:
            previous = self._affinity.node_for(payer, request_id, time.monotonic())
            ranked.sort(key=lambda node: node.name != previous)
        return ranked[:MAX_ATTEMPTS], base_model

    def _started(self, node: RoutableNode, payer: str, request_id: str) -> None:
        if request_id:
            self._affinity.remember(payer, request_id, node.name, time.monotonic())
        self.directory.request_started(node.name)

    def _raise_unless_failover(
        self, err: grpc.aio.AioRpcError, node: RoutableNode, base_model: str, *, last: bool
    ) -> None:
        """Return to try the next candidate; raise the client's error otherwise."""
        code = err.code()
        if code not in _FAILOVER_CODES:
            raise node_error(err, node.name) from None
        if code != grpc.StatusCode.RESOURCE_EXHAUSTED:
            self.directory.node_failed(node.name, f"{code.name}: {err.details()}")
        if not last:
            return
        if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
            raise Unavailable(
                f"every node serving {base_model} that was tried is at capacity "
                f"(last: {node.name}: {err.details()})",
                reason=NODES_AT_CAPACITY,
                domain=DOMAIN,
                metadata={"base_model": base_model},
            ) from None
        raise Unavailable(
            f"node {node.name} failed before answering: {code.name}: {err.details()}",
            reason=NODE_FAILED,
            domain=DOMAIN,
            metadata={"node": node.name},
        ) from None

    def _broken_stream(self, node: RoutableNode, why: str) -> Unavailable:
        self.directory.node_failed(node.name, why)
        return Unavailable(
            f"node {node.name} failed mid-stream ({why}); the partial completion is not "
            "retried, so it is never charged twice",
            reason=NODE_FAILED,
            domain=DOMAIN,
            metadata={"node": node.name},
        )

    def _stub(self, node: RoutableNode) -> Any:
        entry = self._stubs.get(node.endpoint)
        if entry is None:
            # Failover is this class's job: the channel must not retry a Generate (a retry on the
            # same node would only wait on the same failure) nor impose a deadline of its own.
            channel = connect(
                node.endpoint,
                tls=self._tls,
                token=self._token,
                default_timeout=None,
                retry=NO_RETRY,
            )
            stub = inference_service_pb2_grpc.InferenceServiceStub(channel)  # type: ignore[no-untyped-call]
            entry = (channel, stub)
            self._stubs[node.endpoint] = entry
        return entry[1]


def _add_router_time(completion: generation_pb2.Completion, elapsed: float) -> None:
    node_total = completion.timings.total_duration.ToTimedelta().total_seconds()
    total = Duration()
    total.FromNanoseconds(int(max(elapsed, node_total) * 1e9))
    completion.timings.total_duration.CopyFrom(total)
