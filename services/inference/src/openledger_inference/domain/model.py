"""The inference domain's values: adapter references and descriptors, validated generation
requests, what an engine streams back, finished completions, the adapter cache's view of an
adapter, and a node's capacity and load. Free of gRPC, protobuf and Redis: the API layer
converts ``openledger.inference.v1`` messages to and from these."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from openledger_kit.errors import InvalidArgument

ADAPTER_REF = re.compile(r"^(?P<id>[a-z][a-z0-9-]{1,61}[a-z0-9])@(?P<version>[1-9][0-9]{0,8})$")

# Size limits of GenerationSpec (documented on the proto message).
MAX_PROMPT_BYTES = 128 * 1024
MAX_CHAT_MESSAGES = 256
MAX_MAX_TOKENS = 8192
DEFAULT_MAX_TOKENS = 256
MAX_STOP_SEQUENCES = 8
MAX_STOP_SEQUENCE_BYTES = 128
MAX_STOP_TOKEN_IDS = 16


@dataclass(frozen=True, order=True)
class AdapterRef:
    """``{adapter_id}@{version}``: one immutable adapter version, the name every engine uses."""

    adapter_id: str
    version: int

    @classmethod
    def parse(cls, text: str, field_path: str = "adapter") -> AdapterRef:
        match = ADAPTER_REF.fullmatch(text)
        if match is None:
            raise InvalidArgument(
                field_path,
                f"{text!r} is not an adapter reference `{{adapter_id}}@{{version}}` "
                "(e.g. `legal-qa@3`; the version is required)",
            )
        return cls(match["id"], int(match["version"]))

    def __str__(self) -> str:
        return f"{self.adapter_id}@{self.version}"


@dataclass(frozen=True)
class AdapterDescriptor:
    """What the node learns about an adapter before fetching it (ModelFactory's ``Adapter`` or
    an ``AdapterPublished`` event): its files' content addresses in the object store and what
    it was trained on. Only the weights' SHA-256 is trusted, and only after it matched
    ``ModelRegistry``; the node fetches both files by digest from its own object store."""

    ref: AdapterRef
    base_model: str
    base_model_revision: str
    adapter_sha256: bytes
    """SHA-256 of ``adapter_model.safetensors``: its object-store address."""
    adapter_config_sha256: bytes
    """SHA-256 of ``adapter_config.json``: its object-store address."""
    prompt_template: str = ""
    task_template: str = ""
    """The training task template (``instruction``, ``chat``, ``completion``), or empty."""
    fee_per_1k_tokens: int = 0
    owner_address: str = ""


@dataclass(frozen=True)
class RegisteredAdapter:
    """An adapter version as ``ModelRegistry`` has it, read at ``block_number``."""

    ref: AdapterRef
    adapter_sha256: bytes
    base_model_id: bytes
    owner: str
    fee_per_1k_tokens: int
    block_number: int


@dataclass(frozen=True)
class FeeRate:
    """A fee per 1k tokens read from ``ModelRegistry`` at ``block_number``."""

    fee_per_1k_tokens: int
    block_number: int

    def fee_for(self, tokens: int) -> int:
        """``ceil(fee_per_1k_tokens × tokens / 1000)`` in integer arithmetic."""
        return -(-self.fee_per_1k_tokens * tokens // 1000)


class Tier(enum.IntEnum):
    """Where a node holds an adapter; lower is faster (``inference.v1.AdapterTier``)."""

    GPU = 1
    CPU = 2
    DISK = 3


@dataclass(frozen=True)
class LocalAdapter:
    """An adapter's hash-checked files in the node's disk cache, ready for an engine to load."""

    descriptor: AdapterDescriptor
    directory: Path
    """Holds ``adapter_model.safetensors`` and ``adapter_config.json`` (peft layout)."""
    rank: int
    size_bytes: int

    @property
    def name(self) -> str:
        return str(self.descriptor.ref)


@dataclass(frozen=True)
class AdapterState:
    """One adapter held by the node, as ``ListAdapters`` and heartbeats report it."""

    adapter: LocalAdapter
    tier: Tier
    pinned: bool
    load_time: datetime
    last_used_time: datetime | None
    active_requests: int


class ChatRole(enum.StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


@dataclass(frozen=True)
class ChatMessage:
    role: ChatRole
    content: str


@dataclass(frozen=True)
class Sampling:
    """Validated sampling parameters with their defaults applied (``SamplingParams``)."""

    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    seed: int | None = None
    stop_sequences: tuple[str, ...] = ()
    stop_token_ids: tuple[int, ...] = ()
    repetition_penalty: float = 1.0

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


@dataclass(frozen=True)
class GenerationInput:
    """Exactly one of the three input forms of a ``GenerationSpec``."""

    prompt: str | None = None
    prompt_token_ids: tuple[int, ...] | None = None
    chat: tuple[ChatMessage, ...] | None = None


@dataclass(frozen=True)
class GenerationSpec:
    """A generation as the client asked for it, structurally valid (the node still checks what
    needs its model: vocabulary, context window, the adapter's base model)."""

    adapter: AdapterRef | None
    base_model: str
    input: GenerationInput
    sampling: Sampling


@dataclass(frozen=True)
class GenerationRequest:
    """A spec with who asked and pays, as a node receives it."""

    spec: GenerationSpec
    request_id: str = ""
    payer_address: str = ""
    max_fee: int | None = None


class FinishReason(enum.StrEnum):
    STOP = "STOP"
    LENGTH = "LENGTH"
    CANCELLED = "CANCELLED"
    ERROR = "ERROR"


@dataclass(frozen=True)
class EngineRequest:
    """What a node hands its engine: token ids in, token ids out. Stop sequences and
    detokenisation stay in the node, so both engines end generations the same way."""

    request_id: str
    prompt_token_ids: tuple[int, ...]
    adapter: LocalAdapter | None
    """None: the base model alone."""
    sampling: Sampling


@dataclass(frozen=True)
class EngineOutput:
    """New token ids of one request. The last output of a request has ``finish_reason`` set
    (STOP for end-of-sequence or a stop token id, which is not included; LENGTH at
    ``max_tokens`` or the context window; ERROR with ``error``)."""

    token_ids: tuple[int, ...]
    finish_reason: FinishReason | None = None
    error: str = ""


@dataclass(frozen=True)
class EngineCapacity:
    """``NodeCapacity``: what the engine can hold and run at once."""

    max_concurrent_requests: int
    max_loras: int
    max_cpu_loras: int
    max_lora_rank: int
    max_context_tokens: int
    device: str
    accelerator_count: int = 0
    accelerator_memory_bytes: int = 0


@dataclass(frozen=True)
class EngineLoad:
    queue_depth: int
    running_requests: int
    kv_cache_usage: float = 0.0


class EngineKind(enum.StrEnum):
    TORCH = "torch"
    VLLM = "vllm"


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    output_tokens: int
    fee: int
    fee_rate: FeeRate


@dataclass(frozen=True)
class Timings:
    create_time: datetime
    start_time: datetime | None
    """Prefill started (the request left the queue)."""
    first_token_time: datetime | None
    complete_time: datetime


@dataclass(frozen=True)
class Completion:
    """A finished generation: what the client gets and what metering publishes."""

    inference_id: str
    adapter: AdapterRef | None
    adapter_sha256: bytes
    base_model: str
    node: str
    provider_address: str
    payer_address: str
    prompt_token_ids: tuple[int, ...]
    output_token_ids: tuple[int, ...]
    output_text: str
    finish_reason: FinishReason
    matched_stop_sequence: str
    usage: Usage
    timings: Timings
    error_message: str = ""


@dataclass(frozen=True)
class CompletionDelta:
    """One streamed piece of a completion. The first delta (``index`` 0) carries the identity;
    the last one carries ``completion`` (the whole finished completion) and nothing follows."""

    inference_id: str
    index: int
    text: str = ""
    token_ids: tuple[int, ...] = ()
    adapter: AdapterRef | None = None
    base_model: str = ""
    node: str = ""
    completion: Completion | None = None


@dataclass(frozen=True)
class NodeIdentity:
    """The pool membership of a node: empty outside a pool (embedded deployment)."""

    node: str = ""
    """``nodes/{node}``."""
    provider_address: str = ""


@dataclass
class NodeLoadReport:
    """``NodeLoad``: what a heartbeat and ``GetNodeStatus`` report."""

    queue_depth: int
    running_requests: int
    tokens_per_second: float
    kv_cache_usage: float
    adapters: list[tuple[str, Tier, bool]] = field(default_factory=list)
    """(``id@version``, tier, pinned), GPU and CPU tiers first, then the most recent DISK."""
