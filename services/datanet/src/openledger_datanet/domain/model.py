"""The datanet service's resources as plain, immutable Python values.

These are what the repository stores and returns, what the application service works with and
what the gRPC edge translates to and from protobuf. Addresses are EIP-55 checksummed strings,
hashes are raw ``bytes``, token amounts are ``int`` wei, times are timezone-aware UTC
``datetime``s. Curation's own types (``Policy``, ``Rejection``, ``Redaction``, ``Metrics``) are
used as they are.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from eth_utils.address import is_address, is_checksum_address, to_checksum_address
from eth_utils.crypto import keccak

from openledger_datanet.domain.curation import Metrics, Policy, Redaction, Rejection
from openledger_kit.errors import InvalidArgument
from openledger_kit.ids import new_id as new_id
from openledger_kit.values import ChainTx as ChainTx
from openledger_kit.values import ObjectRef as ObjectRef
from openledger_kit.values import TxStatus as TxStatus

T = TypeVar("T")

DOMAIN = "openledger.datanet"
"""``ErrorInfo.domain`` of every error this service raises."""

MERKLE_SCHEME = "openledger.datanet.merkle.v1"

DATANET_ID = re.compile(r"^[a-z]([a-z0-9-]{1,61}[a-z0-9])$")
DOMAIN_SLUG = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def utcnow() -> datetime:
    """Now, in UTC (every stored time is timezone-aware UTC)."""
    return datetime.now(UTC)


def datanet_name(datanet_id: str) -> str:
    return f"datanets/{datanet_id}"


def contribution_name(datanet_id: str, contribution_id: str) -> str:
    return f"datanets/{datanet_id}/contributions/{contribution_id}"


def contributor_name(datanet_id: str, address: str) -> str:
    return f"datanets/{datanet_id}/contributors/{address.lower()}"


def snapshot_name(datanet_id: str, sequence: int) -> str:
    return f"datanets/{datanet_id}/snapshots/v{sequence}"


def chain_datanet_id(datanet_id: str) -> bytes:
    """The datanet's id on the ``DatanetRegistry``: keccak256 of the UTF-8 id."""
    return bytes(keccak(text=datanet_id))


def parse_address(value: str, field_path: str, *, reason: str = "ADDRESS_INVALID") -> str:
    """``value`` as a checksummed address. All-lowercase (or all-uppercase) hex is accepted;
    mixed case must carry a valid EIP-55 checksum."""
    text = value.strip()
    if not is_address(text) and not (
        text.startswith("0x") and len(text) == 42 and _is_hex(text[2:])
    ):
        raise InvalidArgument(
            field_path, f"not an Ethereum address: {value!r}", reason=reason, domain=DOMAIN
        )
    body = text[2:]
    mixed = body != body.lower() and body != body.upper()
    if mixed and not is_checksum_address(text):
        raise InvalidArgument(
            field_path, f"{value!r} fails its EIP-55 checksum", reason=reason, domain=DOMAIN
        )
    return str(to_checksum_address(text))


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


class DatanetState(enum.StrEnum):
    REGISTERING = "REGISTERING"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    REGISTRATION_FAILED = "REGISTRATION_FAILED"


class ContributionStatus(enum.StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class JobState(enum.StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class PenaltyKind(enum.StrEnum):
    SLASH = "SLASH"
    SUSPENSION = "SUSPENSION"


class PenaltyTrigger(enum.StrEnum):
    REJECTION_RATE = "REJECTION_RATE"
    NEGATIVE_INFLUENCE = "NEGATIVE_INFLUENCE"
    ADMIN = "ADMIN"


class PenaltyState(enum.StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    FAILED = "FAILED"


class Standing(enum.StrEnum):
    GOOD = "GOOD"
    INSUFFICIENT_STAKE = "INSUFFICIENT_STAKE"
    SUSPENDED = "SUSPENDED"


@dataclass(frozen=True)
class Datanet:
    """A datanet: configuration, state, on-chain registration and counts."""

    id: str
    display_name: str
    domain: str
    description: str
    record_schema: dict[str, Any]
    policy: Policy
    stake_required: int
    curator: str
    state: DatanetState = DatanetState.REGISTERING
    revision: int = 1
    registration: ChainTx | None = None
    accepted_count: int = 0
    rejected_count: int = 0
    pending_count: int = 0
    contributor_count: int = 0
    latest_snapshot: int = 0
    """Sequence of the newest SUCCEEDED snapshot; 0 when there is none."""
    create_time: datetime = field(default_factory=utcnow)
    update_time: datetime = field(default_factory=utcnow)

    @property
    def name(self) -> str:
        return datanet_name(self.id)

    @property
    def chain_id(self) -> bytes:
        return chain_datanet_id(self.id)

    @property
    def etag(self) -> str:
        """A version tag over the mutable fields (AIP-154)."""
        basis = repr(
            (
                self.display_name,
                self.domain,
                self.description,
                sorted_json(self.record_schema),
                sorted_json(policy_to_dict(self.policy)),
                self.stake_required,
                self.curator,
                self.state.value,
                self.revision,
            )
        )
        return bytes(keccak(text=basis))[:12].hex()


@dataclass(frozen=True)
class NewContribution:
    """A record that passed the submission checks, about to be stored as PENDING."""

    id: str
    contributor: str
    content: dict[str, Any]
    content_hash: bytes
    signature: bytes
    content_size_bytes: int


@dataclass(frozen=True)
class Contribution:
    """A stored contribution with its curation outcome (when decided)."""

    id: str
    datanet_id: str
    contributor: str
    content: dict[str, Any]
    """As submitted while PENDING; the curated content once decided."""
    content_hash: bytes
    signature: bytes
    status: ContributionStatus = ContributionStatus.PENDING
    rejections: tuple[Rejection, ...] = ()
    redactions: tuple[Redaction, ...] = ()
    metrics: Metrics | None = None
    curated_content_hash: bytes = b""
    accept_sequence: int = 0
    datanet_revision: int = 0
    content_size_bytes: int = 0
    create_time: datetime = field(default_factory=utcnow)
    curate_time: datetime | None = None

    @property
    def name(self) -> str:
        return contribution_name(self.datanet_id, self.id)


@dataclass(frozen=True)
class SubmittedRecord:
    """What ``Repository.add_contributions`` says about one stored record: the contribution
    and whether it already existed (same contributor and content hash)."""

    contribution: Contribution
    already_submitted: bool


@dataclass(frozen=True)
class Penalty:
    """One sanction against a contributor in a datanet."""

    id: str
    datanet_id: str
    contributor: str
    kind: PenaltyKind
    trigger: PenaltyTrigger
    state: PenaltyState
    amount: int = 0
    rejection_rate: float = 0.0
    contributions: tuple[str, ...] = ()
    """Contribution ids (not names) behind the penalty."""
    detail: str = ""
    transaction: ChainTx | None = None
    reason_hash: bytes = b""
    create_time: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class Contributor:
    """An address's standing in one datanet (stake is read from the chain, not stored here,
    except as ``stake_cache``)."""

    datanet_id: str
    address: str
    accepted_count: int = 0
    rejected_count: int = 0
    pending_count: int = 0
    window_curated_count: int = 0
    window_counted_rejections: int = 0
    total_slashed: int = 0
    stake_cache: int = 0
    suspended: bool = False
    last_slash_time: datetime | None = None
    first_contribution_time: datetime | None = None
    last_contribution_time: datetime | None = None
    penalties: tuple[Penalty, ...] = ()
    """Newest first, at most 100."""

    @property
    def name(self) -> str:
        return contributor_name(self.datanet_id, self.address)

    @property
    def reputation(self) -> float:
        """Laplace-smoothed acceptance rate: a newcomer starts at 0.5."""
        return (self.accepted_count + 1) / (self.accepted_count + self.rejected_count + 2)

    @property
    def window_rejection_rate(self) -> float:
        if self.window_curated_count == 0:
            return 0.0
        return self.window_counted_rejections / self.window_curated_count


@dataclass(frozen=True)
class Snapshot:
    """A snapshot job and, once SUCCEEDED, its outputs."""

    datanet_id: str
    sequence: int
    request_id: str
    description: str = ""
    state: JobState = JobState.QUEUED
    progress: float = 0.0
    creator: str = ""
    accepted_before: datetime | None = None
    cutoff_accept_sequence: int = 0
    record_count: int = 0
    contributor_count: int = 0
    content_bytes: int = 0
    merkle_root: bytes = b""
    jsonl: ObjectRef | None = None
    parquet: ObjectRef | None = None
    anchor: ChainTx | None = None
    error_reason: str = ""
    error_message: str = ""
    create_time: datetime = field(default_factory=utcnow)
    start_time: datetime | None = None
    end_time: datetime | None = None

    @property
    def name(self) -> str:
        return snapshot_name(self.datanet_id, self.sequence)

    @property
    def terminal(self) -> bool:
        return self.state in (JobState.SUCCEEDED, JobState.FAILED)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: the items, the token of the next page ("" at the end) and the
    number of items matching across all pages."""

    items: Sequence[T]
    next_page_token: str = ""
    total_size: int = 0


# ------------------------------------------------------------------ policy (de)serialisation


def sorted_json(value: object) -> str:
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _plain(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """``policy`` as JSON-ready values (enums by value, tuples as lists), for storage."""
    return {f.name: _plain(getattr(policy, f.name)) for f in dataclasses.fields(policy)}


def policy_from_dict(data: Mapping[str, Any]) -> Policy:
    """The inverse of ``policy_to_dict``: enum values and lists turned back into the field
    types ``Policy`` declares. Unknown keys are ignored (a newer writer), missing ones take the
    dataclass defaults."""
    hints = typing.get_type_hints(Policy)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Policy):
        if f.name in data:
            values[f.name] = _coerce(hints[f.name], data[f.name])
    return Policy(**values)


def _coerce(annotation: Any, value: Any) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation(value)
    if origin is tuple and args:
        inner = args[0]
        return tuple(_coerce(inner, item) for item in value)
    if origin in (list, Sequence) and args:
        return [_coerce(args[0], item) for item in value]
    if origin in (frozenset, set) and args:
        return frozenset(_coerce(args[0], item) for item in value)
    if annotation is float:
        return float(value)
    if annotation is int:
        return int(value)
    return value
