"""Adapter descriptors from ModelFactory (``domain.ports.AdapterDirectory``): its
``GetAdapter`` RPC, and its ``AdapterPublished`` events, which seed the same cache so a node
that saw an adapter published need not ask for it again. Adapter versions are immutable, so a
descriptor once known never changes."""

from __future__ import annotations

import grpc

from openledger.events.v1 import modelfactory_events_pb2 as events
from openledger.modelfactory.v1 import adapter_pb2, job_config_pb2
from openledger.modelfactory.v1 import modelfactory_service_pb2 as pb
from openledger.modelfactory.v1 import modelfactory_service_pb2_grpc as pb_grpc
from openledger_inference.domain.model import AdapterDescriptor, AdapterRef
from openledger_kit.client import TlsConfig, connect
from openledger_kit.errors import InvalidArgument, Unavailable

DOMAIN = "openledger.inference"
BASE_MODEL_PREFIX = "baseModels/"
ADAPTER_PREFIX = "adapters/"
_TASK_TEMPLATE_PREFIX = "TASK_TEMPLATE_"


class ModelFactoryDirectory:
    """Descriptors by ``ModelFactoryService.GetAdapter``, cached in memory."""

    def __init__(
        self, address: str, *, tls: bool = False, service_token: str | None = None
    ) -> None:
        self._address = address
        self._channel = connect(address, tls=TlsConfig() if tls else None, token=service_token)
        self._stub = pb_grpc.ModelFactoryServiceStub(self._channel)  # type: ignore[no-untyped-call]
        self._known: dict[AdapterRef, AdapterDescriptor] = {}

    async def describe(self, ref: AdapterRef) -> AdapterDescriptor | None:
        """The adapter's descriptor; None when ModelFactory has no such adapter version."""
        known = self._known.get(ref)
        if known is not None:
            return known
        request = pb.GetAdapterRequest(name=f"{ADAPTER_PREFIX}{ref}")
        try:
            response = await self._stub.GetAdapter(request)
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise Unavailable(
                f"ModelFactory at {self._address} could not describe adapter {ref}: "
                f"{err.code().name} {err.details() or ''}".rstrip(),
                reason="MODELFACTORY_UNAVAILABLE",
                domain=DOMAIN,
                metadata={"adapter": str(ref)},
            ) from err
        descriptor = descriptor_from_adapter(response.adapter)
        self.remember(descriptor)
        return descriptor

    def remember(self, descriptor: AdapterDescriptor) -> None:
        """Seed the cache (from an ``AdapterPublished`` event). Events do not carry the
        training task template, so a descriptor that has it is never replaced by one that
        does not."""
        known = self._known.get(descriptor.ref)
        if known is None or not known.task_template or descriptor.task_template:
            self._known[descriptor.ref] = descriptor

    async def close(self) -> None:
        await self._channel.close()


def descriptor_from_adapter(msg: adapter_pb2.Adapter) -> AdapterDescriptor:
    """The descriptor of a ``modelfactory.v1.Adapter``."""
    template = msg.training_config.task_template
    task_template = (
        ""
        if template == job_config_pb2.TASK_TEMPLATE_UNSPECIFIED
        else job_config_pb2.TaskTemplate.Name(template).removeprefix(_TASK_TEMPLATE_PREFIX).lower()
    )
    return AdapterDescriptor(
        ref=_ref(msg.adapter_id, msg.version, "adapter"),
        base_model=msg.base_model.removeprefix(BASE_MODEL_PREFIX),
        base_model_revision=msg.base_model_revision,
        adapter_sha256=_sha256(msg.adapter_sha256 or msg.adapter_model.sha256, "adapter_sha256"),
        adapter_config_sha256=_sha256(msg.adapter_config.sha256, "adapter_config.sha256"),
        prompt_template=msg.prompt_template,
        task_template=task_template,
        fee_per_1k_tokens=_fee(msg.fee_per_1k_tokens),
        owner_address=msg.owner,
    )


def descriptor_from_event(msg: events.AdapterPublished) -> AdapterDescriptor:
    """The descriptor an ``AdapterPublished`` event carries (without a task template)."""
    return AdapterDescriptor(
        ref=_ref(msg.adapter_id, msg.version, "adapter"),
        base_model=msg.base_model.removeprefix(BASE_MODEL_PREFIX),
        base_model_revision=msg.base_model_revision,
        adapter_sha256=_sha256(msg.adapter_sha256 or msg.adapter_model.sha256, "adapter_sha256"),
        adapter_config_sha256=_sha256(msg.adapter_config.sha256, "adapter_config.sha256"),
        prompt_template=msg.prompt_template,
        fee_per_1k_tokens=_fee(msg.fee_per_1k_tokens),
        owner_address=msg.owner_address,
    )


def _ref(adapter_id: str, version: int, field: str) -> AdapterRef:
    return AdapterRef.parse(f"{adapter_id}@{version}", field)


def _sha256(value: bytes, field: str) -> bytes:
    if len(value) != 32:
        raise InvalidArgument(field, f"must be a 32-byte SHA-256, got {len(value)} bytes")
    return bytes(value)


def _fee(text: str) -> int:
    if not text:
        return 0
    if not text.isdigit():
        raise InvalidArgument("fee_per_1k_tokens", f"not a decimal integer: {text[:80]!r}")
    return int(text)
