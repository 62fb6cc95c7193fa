"""Pool membership, as the router keeps it: who may join (signed registration, stake on chain),
who stays (heartbeats renew a lease), who leaves (drain, lapsed leases, stake lost), and which
nodes routing may use now (``NodeDirectory``).

States (``inference.v1.NodeState``)::

    REGISTERED --healthy heartbeat--> ACTIVE
    ACTIVE --lease lapses / reported unhealthy / failed a request--> UNHEALTHY
    UNHEALTHY --healthy heartbeat--> ACTIVE
    UNHEALTHY --removal grace passes--> REMOVED
    any live state --Drain / stake below minimum--> DRAINING
    DRAINING --deregister, nothing in flight--> REMOVED

The pool is the single writer of the router's membership: it holds every node in memory (routing
reads it on each request, synchronously) and writes each change through to the repository, so a
restarted router keeps its nodes; they keep heartbeating. One router process owns the pool.

Base models: the router checks a registration's base models against ModelFactory's catalogue
when it can read it. When ModelFactory has never answered, any syntactically valid catalogue id
is accepted (logged): a node claiming a base model nobody publishes receives no traffic, since
routing resolves every request's base model through ModelFactory, while refusing registrations
would make the pool depend on ModelFactory being up.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from eth_utils.address import is_address

from openledger_inference.domain.model import (
    ADAPTER_REF,
    EngineCapacity,
    EngineKind,
    NodeLoadReport,
    Tier,
)
from openledger_inference.router.model import RoutableNode
from openledger_inference.router.registration import NodeRegistration, recover_provider
from openledger_kit import pages
from openledger_kit.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from openledger_kit.ids import new_id
from openledger_kit.values import Caller
from openledger_ml.catalogue import BASE_MODEL_ID

logger = logging.getLogger(__name__)

DOMAIN = "openledger.inference"
MAX_BASE_MODELS = 16
MAX_ENDPOINT_CHARS = 253
MAX_DEVICE_CHARS = 128
MAX_REASON_CHARS = 256
MAX_REGISTRATION_AHEAD = timedelta(hours=24)
REMOVED_RETENTION = timedelta(days=7)
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
_REQUEST_IDS_KEPT = 4096
_NODE_NAME = re.compile(
    r"^nodes/(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$"
)
_ENDPOINT = re.compile(r"^(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(?P<port>[0-9]{1,5})$")


class NodeState(enum.StrEnum):
    REGISTERED = "REGISTERED"
    ACTIVE = "ACTIVE"
    DRAINING = "DRAINING"
    UNHEALTHY = "UNHEALTHY"
    REMOVED = "REMOVED"


@dataclass(frozen=True)
class PoolNode:
    """A member of the pool (``inference.v1.Node``)."""

    node_id: str
    registration: NodeRegistration
    state: NodeState
    state_message: str
    capacity: EngineCapacity
    """Current capacity: the last heartbeat's, the registered one before."""
    load: NodeLoadReport | None
    stake: int
    register_time: datetime
    last_heartbeat_time: datetime | None
    lease_expire_time: datetime
    state_time: datetime
    """When the node entered its state (the removal grace of UNHEALTHY counts from it)."""
    deregister: bool = False
    """Drained with ``deregister``: REMOVED once nothing is in flight."""

    @property
    def name(self) -> str:
        return f"nodes/{self.node_id}"

    @property
    def provider(self) -> str:
        return self.registration.provider_address.lower()

    @property
    def endpoint(self) -> str:
        return self.registration.endpoint


@dataclass(frozen=True)
class HeartbeatAnswer:
    node: PoolNode
    drain: bool
    heartbeat_interval: timedelta
    prefetch_adapters: tuple[str, ...] = ()


@dataclass(frozen=True)
class NodeFilter:
    states: frozenset[NodeState] = frozenset()
    """Empty: every state except REMOVED."""
    base_model: str = ""
    adapter: str = ""
    adapter_tier: Tier | None = None
    """With ``adapter``: the slowest tier that counts (None: any)."""
    provider_address: str = ""


@dataclass(frozen=True)
class NodePage:
    nodes: list[PoolNode]
    next_page_token: str
    total_size: int


@dataclass(frozen=True)
class ProviderStanding:
    """A provider's record in ``InferencePool`` as read now."""

    stake: int
    active: bool
    """Registered, not exiting, and holding at least ``min_stake``."""
    min_stake: int


class StakeBook(Protocol):
    """The L2 ``InferencePool``: which pool registrations are for and what providers hold."""

    async def pool_identity(self) -> tuple[int, str]:
        """The L2 chain id and the pool contract's (checksummed) address."""

    async def standing(self, provider: str) -> ProviderStanding: ...


class BaseModelCatalogue(Protocol):
    async def base_models(self) -> frozenset[str] | None:
        """ModelFactory's catalogue ids; None when ModelFactory cannot be read."""


class NodeRepository(Protocol):
    """Where the membership survives a router restart (synchronous: run in a thread)."""

    def load_nodes(self) -> list[PoolNode]: ...

    def save_node(self, node: PoolNode) -> None: ...

    def delete_nodes(self, node_ids: Sequence[str]) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_node_id() -> str:
    """A UUIDv7 (RFC 9562): node ids sort by registration time."""
    return new_id()


def parse_node_name(name: str, field_path: str = "name") -> str:
    """The node id in ``nodes/{node}``."""
    match = _NODE_NAME.fullmatch(name)
    if match is None:
        raise InvalidArgument(field_path, f"{name!r} is not a node name `nodes/{{uuidv7}}`")
    return match["id"]


class Pool:
    """The pool's membership (see the module docstring). ``open()`` loads the stored nodes;
    ``run()`` is the background sweep (leases, removal grace, stake re-checks)."""

    def __init__(
        self,
        repository: NodeRepository,
        stakes: StakeBook,
        catalogue: BaseModelCatalogue,
        *,
        heartbeat_interval: timedelta,
        lease: timedelta,
        removal_grace: timedelta,
        stake_check_interval: timedelta = timedelta(seconds=30),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repository = repository
        self._stakes = stakes
        self._catalogue = catalogue
        self.heartbeat_interval = heartbeat_interval
        self.lease = lease
        self.removal_grace = removal_grace
        self._stake_check_interval = stake_check_interval
        self._clock = clock
        self._nodes: dict[str, PoolNode] = {}
        self._in_flight: dict[str, int] = {}
        self._request_ids: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._write_lock = asyncio.Lock()
        self._writes: set[asyncio.Task[None]] = set()
        self._last_stake_check = datetime.min.replace(tzinfo=UTC)

    async def open(self) -> None:
        nodes = await asyncio.to_thread(self._repository.load_nodes)
        # Nobody could heartbeat while the router was down: every live node gets one lease
        # from now to show up again before it counts as unhealthy.
        renewed = self._clock() + self.lease
        self._nodes = {
            node.node_id: node
            if node.state is NodeState.REMOVED or node.lease_expire_time >= renewed
            else replace(node, lease_expire_time=renewed)
            for node in nodes
        }

    # ------------------------------------------------------------------ RegisterNode

    async def register(
        self, registration: NodeRegistration, *, request_id: str = "", signer: str | None = None
    ) -> PoolNode:
        """Admit ``registration`` (see ``InferencePoolService.RegisterNode``). ``signer`` is the
        request signature's address, when the call carried one."""
        if request_id:
            known = self._request_ids.get(("register", request_id))
            if known is not None and known in self._nodes:
                return self._nodes[known]
        now = self._clock()
        await self._validate(registration, now)
        provider = recover_provider(registration)
        if provider is None or provider.lower() != registration.provider_address.lower():
            raise PermissionDenied(
                "registration.signature does not recover to registration.provider_address",
                reason="REGISTRATION_SIGNATURE_INVALID",
                domain=DOMAIN,
            )
        if signer is not None and signer.lower() != provider.lower():
            raise PermissionDenied(
                "the request is signed by another address than registration.provider_address",
                reason="SIGNER_NOT_PROVIDER",
                domain=DOMAIN,
            )
        standing = await self._stakes.standing(provider)
        _require_standing(standing)
        await self._check_base_models(registration.base_models)
        node = self._admit(registration, standing.stake, now)
        if request_id:
            self._remember_request(("register", request_id), node.node_id)
        await self._save(node)
        logger.info("node %s of %s at %s: %s", node.name, provider, node.endpoint, node.state)
        return node

    def _admit(self, registration: NodeRegistration, stake: int, now: datetime) -> PoolNode:
        provider = registration.provider_address.lower()
        for node in self._nodes.values():
            if node.state is NodeState.REMOVED or node.endpoint != registration.endpoint:
                continue
            if node.provider != provider:
                raise AlreadyExists(
                    f"another provider has a live node at {registration.endpoint}",
                    reason="ENDPOINT_TAKEN",
                    domain=DOMAIN,
                )
            # Re-registration: the newest signed registration replaces the stored one; a
            # drained node comes back only this way, and waits for a heartbeat like a new one.
            state, message = node.state, node.state_message
            if state is NodeState.DRAINING:
                state, message = NodeState.REGISTERED, ""
            updated = replace(
                node,
                registration=registration,
                capacity=registration.capacity,
                stake=stake,
                deregister=False,
                state=state,
                state_message=message,
                state_time=now if state is not node.state else node.state_time,
            )
            self._nodes[node.node_id] = updated
            return updated
        node = PoolNode(
            node_id=new_node_id(),
            registration=registration,
            state=NodeState.REGISTERED,
            state_message="waiting for the first heartbeat",
            capacity=registration.capacity,
            load=None,
            stake=stake,
            register_time=now,
            last_heartbeat_time=None,
            lease_expire_time=now + self.lease,
            state_time=now,
        )
        self._nodes[node.node_id] = node
        return node

    async def _validate(self, registration: NodeRegistration, now: datetime) -> None:
        f = "registration."
        if not is_address(registration.provider_address):
            raise InvalidArgument(
                f + "provider_address", "must be a 0x-prefixed, EIP-55 checksummed address"
            )
        _validate_endpoint(registration.endpoint, f + "endpoint")
        if len(registration.metadata_hash) != 32:
            raise InvalidArgument(f + "metadata_hash", "must be 32 bytes (keccak256)")
        if registration.engine not in (EngineKind.TORCH, EngineKind.VLLM):
            raise InvalidArgument(f + "engine", "is required")
        _validate_base_models(registration.base_models, f + "base_models")
        _validate_capacity(registration.capacity, f + "capacity")
        chain_id, pool_contract = await self._stakes.pool_identity()
        if registration.chain_id != chain_id:
            raise InvalidArgument(
                f + "chain_id", f"{registration.chain_id} is not this pool's chain ({chain_id})"
            )
        if not is_address(registration.pool_contract):
            raise InvalidArgument(f + "pool_contract", "must be a 0x-prefixed address")
        if registration.pool_contract.lower() != pool_contract.lower():
            raise InvalidArgument(
                f + "pool_contract", f"is not this pool's contract ({pool_contract})"
            )
        expire = registration.expire_time
        if expire.microsecond != 0:
            raise InvalidArgument(f + "expire_time", "must be whole seconds")
        if expire <= now:
            raise InvalidArgument(f + "expire_time", "has passed")
        if expire > now + MAX_REGISTRATION_AHEAD:
            raise InvalidArgument(f + "expire_time", "is more than 24 hours ahead")

    async def _check_base_models(self, base_models: Sequence[str]) -> None:
        catalogue = await self._catalogue.base_models()
        if catalogue is None:
            logger.warning(
                "ModelFactory's catalogue is unreadable: accepting base models %s unchecked",
                list(base_models),
            )
            return
        if not any(model in catalogue for model in base_models):
            raise FailedPrecondition(
                f"none of the base models {list(base_models)} is in the catalogue",
                reason="BASE_MODEL_UNKNOWN",
                domain=DOMAIN,
            )

    # ------------------------------------------------------------------ Heartbeat

    async def heartbeat(
        self,
        name: str,
        *,
        capacity: EngineCapacity,
        load: NodeLoadReport,
        healthy: bool,
        caller: Caller,
    ) -> HeartbeatAnswer:
        node = self._find(name)
        if not caller.is_(node.registration.provider_address):
            raise PermissionDenied(
                f"only the node's provider {node.registration.provider_address} may heartbeat",
                reason="NOT_NODE_PROVIDER",
                domain=DOMAIN,
            )
        if node.state is NodeState.REMOVED:
            raise FailedPrecondition(
                f"{node.name} was removed ({node.state_message}): register again",
                reason="NODE_REMOVED",
                domain=DOMAIN,
            )
        _validate_reported_capacity(capacity, node.registration.capacity)
        now = self._clock()
        node = replace(
            node,
            capacity=capacity,
            load=load,
            last_heartbeat_time=now,
            lease_expire_time=now + self.lease,
        )
        if node.state is not NodeState.DRAINING:
            if healthy:
                node = self._enter(node, NodeState.ACTIVE, "", now)
            elif node.state is not NodeState.UNHEALTHY:
                node = self._enter(node, NodeState.UNHEALTHY, "reported itself unhealthy", now)
        node = self._complete_deregistration(node, now)
        self._nodes[node.node_id] = node
        await self._save(node)
        return HeartbeatAnswer(
            node=node,
            drain=node.state is NodeState.DRAINING,
            heartbeat_interval=self.heartbeat_interval,
        )

    # ------------------------------------------------------------------ Drain

    async def drain(
        self,
        name: str,
        *,
        deregister: bool,
        reason: str,
        caller: Caller,
        request_id: str = "",
    ) -> PoolNode:
        node = self._find(name)
        if not caller.admin and not caller.is_(node.registration.provider_address):
            raise PermissionDenied(
                "only an admin or the node's provider may drain it",
                reason="NOT_NODE_PROVIDER",
                domain=DOMAIN,
            )
        if request_id and self._request_ids.get(("drain", request_id)) == node.node_id:
            return node
        if len(reason) > MAX_REASON_CHARS:
            raise InvalidArgument("reason", f"is longer than {MAX_REASON_CHARS} characters")
        if node.state is NodeState.REMOVED:
            raise FailedPrecondition(
                f"{node.name} was removed", reason="NODE_REMOVED", domain=DOMAIN
            )
        now = self._clock()
        who = "admin" if caller.admin else "provider"
        message = reason or f"drained by {who} {caller.address or ''}".rstrip()
        if node.state is not NodeState.DRAINING:
            node = self._enter(node, NodeState.DRAINING, message, now)
        node = replace(node, deregister=node.deregister or deregister)
        node = self._complete_deregistration(node, now)
        self._nodes[node.node_id] = node
        if request_id:
            self._remember_request(("drain", request_id), node.node_id)
        await self._save(node)
        logger.info("%s: %s (%s)", node.name, node.state, message)
        return node

    # ------------------------------------------------------------------ reads

    def get(self, name: str) -> PoolNode:
        return self._find(name)

    def list_nodes(self, node_filter: NodeFilter, *, page_size: int, page_token: str) -> NodePage:
        """Nodes matching ``node_filter`` ordered by node id, one page (see ``ListNodes``)."""
        if page_size < 0:
            raise InvalidArgument("page_size", "must not be negative")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        _validate_filter(node_filter)
        fingerprint = _fingerprint(node_filter)
        after = (
            pages.decode_token(page_token, fingerprint, list_name="ListNodes") if page_token else ""
        )
        matching = sorted(
            (node for node in self._nodes.values() if _matches(node, node_filter)),
            key=lambda node: node.node_id,
        )
        remaining = [node for node in matching if node.node_id > after]
        page = remaining[:size]
        token = ""
        if len(remaining) > size:
            token = pages.encode_token(fingerprint, page[-1].node_id)
        return NodePage(page, token, len(matching))

    # ------------------------------------------------------------------ NodeDirectory

    def routable(self, base_model: str) -> list[RoutableNode]:
        return [
            _routable(node, self._in_flight.get(node.node_id, 0))
            for node in self._nodes.values()
            if node.state is NodeState.ACTIVE and base_model in node.registration.base_models
        ]

    def request_started(self, name: str) -> None:
        node_id = name.removeprefix("nodes/")
        self._in_flight[node_id] = self._in_flight.get(node_id, 0) + 1

    def request_finished(self, name: str) -> None:
        node_id = name.removeprefix("nodes/")
        left = self._in_flight.get(node_id, 0) - 1
        if left > 0:
            self._in_flight[node_id] = left
        else:
            self._in_flight.pop(node_id, None)
        node = self._nodes.get(node_id)
        if node is not None:
            done = self._complete_deregistration(node, self._clock())
            if done is not node:
                self._nodes[node_id] = done
                self._save_later(done)

    def node_failed(self, name: str, reason: str) -> None:
        node = self._nodes.get(name.removeprefix("nodes/"))
        if node is None or node.state is not NodeState.ACTIVE:
            return
        failed = self._enter(node, NodeState.UNHEALTHY, f"failed a request: {reason}", None)
        self._nodes[node.node_id] = failed
        self._save_later(failed)
        logger.warning("%s failed a request: %s", name, reason)

    def in_flight(self, name: str) -> int:
        return self._in_flight.get(name.removeprefix("nodes/"), 0)

    # ------------------------------------------------------------------ background

    async def run(self) -> None:
        """Sweep every heartbeat interval until cancelled; re-check stakes less often."""
        while True:
            try:
                await self.sweep()
                if self._clock() - self._last_stake_check >= self._stake_check_interval:
                    await self.check_stakes()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("pool sweep failed; retrying next interval")
            await asyncio.sleep(self.heartbeat_interval.total_seconds())

    async def sweep(self) -> None:
        """Lapsed leases → UNHEALTHY; UNHEALTHY past the removal grace → REMOVED; drained
        and deregistered with nothing in flight → REMOVED; REMOVED for 7 days → forgotten."""
        now = self._clock()
        forget: list[str] = []
        for node in list(self._nodes.values()):
            updated = node
            if node.state is NodeState.REMOVED:
                if now - node.state_time > REMOVED_RETENTION:
                    forget.append(node.node_id)
                continue
            if node.lease_expire_time <= now - self.removal_grace:
                updated = self._enter(
                    node, NodeState.REMOVED, "no heartbeat within the removal grace period", now
                )
            elif node.state in (NodeState.REGISTERED, NodeState.ACTIVE):
                if node.lease_expire_time <= now:
                    updated = self._enter(node, NodeState.UNHEALTHY, _missed(node, self), now)
            elif node.state is NodeState.UNHEALTHY and now - node.state_time > self.removal_grace:
                updated = self._enter(
                    node, NodeState.REMOVED, "unhealthy beyond the removal grace period", now
                )
            updated = self._complete_deregistration(updated, now)
            if updated is not node:
                self._nodes[node.node_id] = updated
                await self._save(updated)
                logger.info("%s: %s (%s)", updated.name, updated.state, updated.state_message)
        if forget:
            for node_id in forget:
                del self._nodes[node_id]
            await asyncio.to_thread(self._repository.delete_nodes, forget)

    async def check_stakes(self) -> None:
        """Re-read each live provider's stake: below the minimum (or no longer an active
        provider) drains its nodes; a withdrawn stake removes them."""
        self._last_stake_check = now = self._clock()
        live = [node for node in self._nodes.values() if node.state is not NodeState.REMOVED]
        standings: dict[str, ProviderStanding] = {}
        for provider in {node.registration.provider_address for node in live}:
            standings[provider.lower()] = await self._stakes.standing(provider)
        for node in live:
            current = self._nodes.get(node.node_id)
            if current is None or current.state is NodeState.REMOVED:
                continue
            standing = standings[node.provider]
            updated = replace(current, stake=standing.stake)
            if standing.stake == 0:
                updated = self._enter(updated, NodeState.REMOVED, "stake withdrawn", now)
            elif not standing.active and updated.state is not NodeState.DRAINING:
                updated = self._enter(updated, NodeState.DRAINING, "stake below minimum", now)
            if updated != current:
                self._nodes[node.node_id] = updated
                await self._save(updated)

    async def flush(self) -> None:
        """Wait for the writes that synchronous calls scheduled."""
        while self._writes:
            await asyncio.gather(*list(self._writes), return_exceptions=True)

    # ------------------------------------------------------------------ helpers

    def _find(self, name: str) -> PoolNode:
        node_id = parse_node_name(name)
        node = self._nodes.get(node_id)
        if node is None:
            raise NotFound(f"{name} is not in the pool", reason="NODE_NOT_FOUND", domain=DOMAIN)
        return node

    def _enter(
        self, node: PoolNode, state: NodeState, message: str, now: datetime | None
    ) -> PoolNode:
        if node.state is state and node.state_message == message:
            return node
        changed = now or self._clock()
        return replace(
            node,
            state=state,
            state_message=message,
            state_time=changed if state is not node.state else node.state_time,
        )

    def _complete_deregistration(self, node: PoolNode, now: datetime) -> PoolNode:
        if (
            node.state is NodeState.DRAINING
            and node.deregister
            and self._in_flight.get(node.node_id, 0) == 0
        ):
            return self._enter(node, NodeState.REMOVED, f"deregistered ({node.state_message})", now)
        return node

    def _remember_request(self, key: tuple[str, str], node_id: str) -> None:
        self._request_ids[key] = node_id
        while len(self._request_ids) > _REQUEST_IDS_KEPT:
            self._request_ids.popitem(last=False)

    async def _save(self, node: PoolNode) -> None:
        # One writer at a time, in call order: a later state never loses to an earlier one.
        async with self._write_lock:
            await asyncio.to_thread(self._repository.save_node, node)

    def _save_later(self, node: PoolNode) -> None:
        task = asyncio.get_running_loop().create_task(self._save(node))
        self._writes.add(task)
        task.add_done_callback(self._write_done)

    def _write_done(self, task: asyncio.Task[None]) -> None:
        self._writes.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("saving a node failed", exc_info=task.exception())


def _missed(node: PoolNode, pool: Pool) -> str:
    if node.last_heartbeat_time is None:
        return "no heartbeat since registration"
    missed = max(1, round(pool.lease / pool.heartbeat_interval))
    return f"missed {missed} heartbeats"


def _require_standing(standing: ProviderStanding) -> None:
    if standing.stake == 0:
        raise FailedPrecondition(
            "the provider has no stake in InferencePool", reason="NO_STAKE", domain=DOMAIN
        )
    if standing.stake < standing.min_stake:
        raise FailedPrecondition(
            f"the provider's stake {standing.stake} is below the minimum {standing.min_stake}",
            reason="STAKE_BELOW_MINIMUM",
            domain=DOMAIN,
        )
    if not standing.active:
        raise FailedPrecondition(
            "the provider is not an active provider of InferencePool (register, or it is exiting)",
            reason="PROVIDER_INACTIVE",
            domain=DOMAIN,
        )


def _validate_endpoint(endpoint: str, field_path: str) -> None:
    match = _ENDPOINT.fullmatch(endpoint)
    if len(endpoint) > MAX_ENDPOINT_CHARS or match is None or not 0 < int(match["port"]) < 65536:
        raise InvalidArgument(
            field_path, f"{endpoint!r} is not a gRPC target `host:port` of at most 253 characters"
        )


def _validate_base_models(base_models: Sequence[str], field_path: str) -> None:
    if not 1 <= len(base_models) <= MAX_BASE_MODELS:
        raise InvalidArgument(field_path, f"must name 1 to {MAX_BASE_MODELS} base models")
    if len(set(base_models)) != len(base_models):
        raise InvalidArgument(field_path, "has duplicates")
    for index, model in enumerate(base_models):
        if BASE_MODEL_ID.fullmatch(model) is None:
            raise InvalidArgument(f"{field_path}[{index}]", f"{model!r} is not a catalogue id")


_CAPACITY_COUNTS = (
    "max_concurrent_requests",
    "max_loras",
    "max_cpu_loras",
    "max_lora_rank",
    "max_context_tokens",
    "accelerator_count",
    "accelerator_memory_bytes",
)


def _validate_capacity(capacity: EngineCapacity, field_path: str) -> None:
    for name in ("max_concurrent_requests", "max_loras", "max_lora_rank", "max_context_tokens"):
        if getattr(capacity, name) < 1:
            raise InvalidArgument(f"{field_path}.{name}", "must be at least 1")
    if not capacity.device or len(capacity.device) > MAX_DEVICE_CHARS:
        raise InvalidArgument(f"{field_path}.device", f"must be 1 to {MAX_DEVICE_CHARS} characters")


def _validate_reported_capacity(capacity: EngineCapacity, registered: EngineCapacity) -> None:
    for name in _CAPACITY_COUNTS:
        if getattr(capacity, name) > getattr(registered, name):
            raise InvalidArgument(
                f"capacity.{name}",
                f"{getattr(capacity, name)} exceeds the registered {getattr(registered, name)}",
            )


def _validate_filter(node_filter: NodeFilter) -> None:
    if node_filter.base_model and BASE_MODEL_ID.fullmatch(node_filter.base_model) is None:
        raise InvalidArgument("base_model", f"{node_filter.base_model!r} is not a catalogue id")
    if node_filter.adapter and ADAPTER_REF.fullmatch(node_filter.adapter) is None:
        raise InvalidArgument("adapter", f"{node_filter.adapter!r} is not `{{id}}@{{version}}`")
    if node_filter.adapter_tier is not None and not node_filter.adapter:
        raise InvalidArgument("adapter_tier", "needs `adapter`")
    if node_filter.provider_address and not is_address(node_filter.provider_address.lower()):
        raise InvalidArgument("provider_address", "must be a 0x-prefixed address")


def _matches(node: PoolNode, node_filter: NodeFilter) -> bool:
    if node_filter.states:
        if node.state not in node_filter.states:
            return False
    elif node.state is NodeState.REMOVED:
        return False
    if node_filter.base_model and node_filter.base_model not in node.registration.base_models:
        return False
    if node_filter.provider_address and node.provider != node_filter.provider_address.lower():
        return False
    if node_filter.adapter:
        tier = _residency(node).get(node_filter.adapter)
        slowest = node_filter.adapter_tier or Tier.DISK
        if tier is None or tier > slowest:
            return False
    return True


def _residency(node: PoolNode) -> dict[str, Tier]:
    residency: dict[str, Tier] = {}
    if node.load is not None:
        for name, tier, _pinned in node.load.adapters:
            residency[name] = min(tier, residency.get(name, tier))
    return residency


def _routable(node: PoolNode, in_flight: int) -> RoutableNode:
    load = node.load
    return RoutableNode(
        name=node.name,
        endpoint=node.endpoint,
        provider_address=node.registration.provider_address,
        base_models=node.registration.base_models,
        max_concurrent_requests=node.capacity.max_concurrent_requests,
        queue_depth=load.queue_depth if load else 0,
        running_requests=load.running_requests if load else 0,
        adapters=_residency(node),
        in_flight=in_flight,
    )


def _fingerprint(node_filter: NodeFilter) -> str:
    return pages.fingerprint(
        sorted(state.value for state in node_filter.states),
        node_filter.base_model,
        node_filter.adapter,
        node_filter.adapter_tier.name if node_filter.adapter_tier else "",
        node_filter.provider_address.lower(),
    )


__all__ = [
    "BaseModelCatalogue",
    "HeartbeatAnswer",
    "NodeFilter",
    "NodePage",
    "NodeRepository",
    "NodeState",
    "Pool",
    "PoolNode",
    "ProviderStanding",
    "StakeBook",
    "new_node_id",
    "parse_node_name",
]
