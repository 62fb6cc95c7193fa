"""The protocols between the node's parts: the generation engine (torch or vLLM), where adapter
descriptors come from (ModelFactory), and what the chain says about adapters and fees."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from openledger_inference.domain.model import (
    AdapterDescriptor,
    AdapterRef,
    EngineCapacity,
    EngineKind,
    EngineLoad,
    EngineOutput,
    EngineRequest,
    FeeRate,
    LocalAdapter,
    RegisteredAdapter,
    Tier,
)


@dataclass(frozen=True)
class ServedModel:
    """The base model a node serves, resolved from the catalogue on this machine."""

    id: str
    """ModelFactory catalogue id, e.g. ``smollm2-135m-instruct``."""
    revision: str
    """sha256 of the weight files (``openledger_ml.models.weights_revision``); adapters trained
    on other weights are refused."""
    path: Path
    """The ``save_pretrained`` directory (safetensors + tokenizer)."""
    context_length: int
    vocab_size: int


class GenerationHandle(Protocol):
    """One submitted request. Iterating yields its outputs until one carries a finish reason."""

    def __aiter__(self) -> AsyncIterator[EngineOutput]: ...

    def cancel(self) -> None:
        """Stop generating; the iteration ends with a CANCELLED output (idempotent, also after
        the request finished)."""

    @property
    def start_time(self) -> datetime | None:
        """When the request left the queue and its prefill began; None while queued."""


class Engine(Protocol):
    """A generation engine serving one base model with many LoRA adapters. It works on token
    ids; prompts, templates, stop sequences and text belong to the node."""

    kind: EngineKind
    version: str
    """Engine name and version, e.g. ``torch 2.13.0`` or ``vllm 0.33.0``."""
    model: ServedModel
    capacity: EngineCapacity

    async def start(self) -> None:
        """Load the base model; after it returns the engine accepts requests."""

    async def stop(self) -> None:
        """Cancel every request (each ends CANCELLED) and release the model."""

    def load(self) -> EngineLoad: ...

    def submit(self, request: EngineRequest) -> GenerationHandle:
        """Queue a request. Raises ``ResourceExhausted`` when the queue is full and
        ``Unavailable`` when the engine is not running, before anything is queued. The
        request's adapter must be in the GPU tier (``add_adapter``) until it finishes."""

    async def add_adapter(self, adapter: LocalAdapter, tier: Tier, pinned: bool) -> None:
        """Hold an adapter in ``tier`` (GPU: servable now; CPU: staged in host memory), moving
        it if it is in the other tier. ``pinned`` is passed to engines that pin natively."""

    async def remove_adapter(self, name: str) -> None:
        """Drop an adapter (``id@version``) from the GPU and CPU tiers; a no-op when absent."""


class AdapterDirectory(Protocol):
    """Where adapter descriptors come from: ModelFactory's published adapters."""

    async def describe(self, ref: AdapterRef) -> AdapterDescriptor | None:
        """The adapter's descriptor; None when ModelFactory does not know it."""


class AdapterRegistry(Protocol):
    """What the L2 ``ModelRegistry`` says about adapters and base models."""

    async def registered(self, ref: AdapterRef) -> RegisteredAdapter | None:
        """The registered adapter version, None when it is not registered."""

    async def base_model_fee(self, base_model: str) -> FeeRate:
        """The fee rate of a base-model-only generation (``NotFound`` when the base model is
        not registered)."""
