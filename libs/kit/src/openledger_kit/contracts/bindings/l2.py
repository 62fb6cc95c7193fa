"""Bindings of the L2 registries, rewards and parameters: ProtocolParams, DatanetRegistry,
ModelRegistry, InferencePool, AttributionRewards, GOpen, L2ToL1MessagePasser."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from web3.types import TxReceipt

from openledger_kit.contracts.bindings.base import (
    AccessControlled,
    Call,
    ContractBinding,
    as_addresses,
    bytes32,
    checksum,
)
from openledger_kit.contracts.withdrawals import WithdrawalTransaction
from openledger_kit.errors import InvalidArgument

# ---------------------------------------------------------------- ProtocolParams


@dataclass(frozen=True)
class Params:
    """The governed protocol parameters (basis points; the window in seconds)."""

    attribution_threshold_bps: int
    contributors_bps: int
    model_owner_bps: int
    protocol_bps: int
    challenge_window_seconds: int
    contributor_slash_bps: int
    provider_slash_bps: int

    def as_tuple(self) -> tuple[int, int, int, int, int, int, int]:
        """The ``Params`` struct as web3 takes it."""
        return (
            self.attribution_threshold_bps,
            self.contributors_bps,
            self.model_owner_bps,
            self.protocol_bps,
            self.challenge_window_seconds,
            self.contributor_slash_bps,
            self.provider_slash_bps,
        )


class ProtocolParams(AccessControlled):
    """Governed parameters: read by services, changed only by the timelock (so the setters
    here build ``Call`` s for governance proposals instead of sending)."""

    CHAIN = "l2"
    NAME = "ProtocolParams"

    async def params(self) -> Params:
        return Params(*(int(v) for v in await self._call(self.contract.functions.params())))

    async def attribution_threshold_bps(self) -> int:
        return int(await self._call(self.contract.functions.attributionThresholdBps()))

    async def treasury(self) -> ChecksumAddress:
        return checksum(await self._call(self.contract.functions.treasury()))

    def set_attribution_threshold_call(self, bps: int) -> Call:
        """``setAttributionThresholdBps(bps)`` for a proposal."""
        return self.call_of("setAttributionThresholdBps", bps)

    def set_params_call(self, params: Params) -> Call:
        """``setParams(params)`` for a proposal."""
        return self.call_of("setParams", params.as_tuple())


# ---------------------------------------------------------------- DatanetRegistry


@dataclass(frozen=True)
class Datanet:
    curator: str
    latest_snapshot_sequence: int
    created_at: int
    metadata_hash: bytes
    stake_required: int


@dataclass(frozen=True)
class Snapshot:
    merkle_root: bytes
    jsonl_sha256: bytes
    record_count: int
    anchored_at: int


@dataclass(frozen=True)
class StakePosition:
    """A contributor's stake in one datanet: active, pending withdrawal, and when the pending
    part unlocks (0: nothing pending)."""

    staked: int
    pending_unstake: int
    unlock_at: int


class DatanetRegistry(AccessControlled):
    """Datanets, contributor stakes, snapshot roots and slashes on L2."""

    CHAIN = "l2"
    NAME = "DatanetRegistry"

    @staticmethod
    def datanet_id(name: str) -> bytes:
        """The on-chain id of datanet ``name``: keccak256 of its UTF-8 bytes."""
        return keccak(text=name)

    async def create_datanet(
        self, datanet_id: bytes, curator: str, stake_required: int, metadata_hash: bytes
    ) -> TxReceipt:
        """Register a datanet (``REGISTRAR_ROLE``)."""
        fn = self.contract.functions.createDatanet(
            bytes32(datanet_id, "datanet_id"),
            checksum(curator),
            stake_required,
            bytes32(metadata_hash, "metadata_hash"),
        )
        return await self._transact(fn)

    async def update_datanet(
        self, datanet_id: bytes, curator: str, stake_required: int, metadata_hash: bytes
    ) -> TxReceipt:
        """Replace a datanet's curator, stake requirement and metadata hash (its curator or a
        registrar)."""
        fn = self.contract.functions.updateDatanet(
            bytes32(datanet_id, "datanet_id"),
            checksum(curator),
            stake_required,
            bytes32(metadata_hash, "metadata_hash"),
        )
        return await self._transact(fn)

    async def stake(self, datanet_id: bytes, amount: int) -> TxReceipt:
        """Add ``amount`` native OPEN to the sender's stake in a datanet."""
        fn = self.contract.functions.stake(bytes32(datanet_id, "datanet_id"))
        return await self._transact(fn, value=amount)

    async def request_unstake(self, datanet_id: bytes, amount: int) -> TxReceipt:
        fn = self.contract.functions.requestUnstake(bytes32(datanet_id, "datanet_id"), amount)
        return await self._transact(fn)

    async def withdraw_stake(self, datanet_id: bytes) -> TxReceipt:
        fn = self.contract.functions.withdrawStake(bytes32(datanet_id, "datanet_id"))
        return await self._transact(fn)

    async def anchor_snapshot(
        self,
        datanet_id: bytes,
        sequence: int,
        merkle_root: bytes,
        record_count: int,
        jsonl_sha256: bytes,
    ) -> TxReceipt:
        """Anchor a snapshot root (``CURATION_ROLE``); sequences strictly increase."""
        fn = self.contract.functions.anchorSnapshot(
            bytes32(datanet_id, "datanet_id"),
            sequence,
            bytes32(merkle_root, "merkle_root"),
            record_count,
            bytes32(jsonl_sha256, "jsonl_sha256"),
        )
        return await self._transact(fn)

    async def slash(
        self, datanet_id: bytes, contributor: str, amount: int, reason_hash: bytes
    ) -> TxReceipt:
        """Slash a contributor to ``ProtocolParams.treasury()`` as it is now (``CURATION_ROLE``;
        at most ``slash_cap``)."""
        fn = self.contract.functions.slash(
            bytes32(datanet_id, "datanet_id"),
            checksum(contributor),
            amount,
            bytes32(reason_hash, "reason_hash"),
        )
        return await self._transact(fn)

    async def has_required_stake(self, datanet_id: bytes, contributor: str) -> bool:
        fn = self.contract.functions.hasRequiredStake(
            bytes32(datanet_id, "datanet_id"), checksum(contributor)
        )
        return bool(await self._call(fn))

    async def stake_of(self, datanet_id: bytes, contributor: str) -> StakePosition:
        fn = self.contract.functions.stakeOf(
            bytes32(datanet_id, "datanet_id"), checksum(contributor)
        )
        staked, pending, unlock_at = await self._call(fn)
        return StakePosition(int(staked), int(pending), int(unlock_at))

    async def slash_cap(self, datanet_id: bytes, contributor: str) -> int:
        fn = self.contract.functions.slashCap(
            bytes32(datanet_id, "datanet_id"), checksum(contributor)
        )
        return int(await self._call(fn))

    async def datanet(self, datanet_id: bytes) -> Datanet | None:
        """The datanet; None if unregistered."""
        fn = self.contract.functions.datanet(bytes32(datanet_id, "datanet_id"))
        raw = await self._optional(fn, "DatanetNotFound")
        if raw is None:
            return None
        curator, sequence, created_at, metadata_hash, stake_required = raw
        return Datanet(
            str(curator), int(sequence), int(created_at), bytes(metadata_hash), int(stake_required)
        )

    async def snapshot(self, datanet_id: bytes, sequence: int) -> Snapshot | None:
        """An anchored snapshot; None if not anchored."""
        fn = self.contract.functions.snapshot(bytes32(datanet_id, "datanet_id"), sequence)
        raw = await self._optional(fn, "SnapshotNotFound")
        if raw is None:
            return None
        root, jsonl_sha256, count, anchored_at = raw
        return Snapshot(bytes(root), bytes(jsonl_sha256), int(count), int(anchored_at))

    async def verify_record(
        self, datanet_id: bytes, sequence: int, leaf: bytes, proof: Sequence[bytes]
    ) -> bool:
        """Whether ``leaf`` is in anchored snapshot ``sequence`` (sorted-pair Merkle proof)."""
        fn = self.contract.functions.verifyRecord(
            bytes32(datanet_id, "datanet_id"),
            sequence,
            bytes32(leaf, "leaf"),
            [bytes32(node, "proof") for node in proof],
        )
        return bool(await self._call(fn))

    async def treasury(self) -> ChecksumAddress:
        """Where the next slash goes: ``ProtocolParams.treasury()`` (read through the registry)."""
        return checksum(await self._call(self.contract.functions.treasury()))


# ---------------------------------------------------------------- ModelRegistry


@dataclass(frozen=True)
class AdapterRegistration:
    """One adapter version to register (``ModelRegistry.registerAdapter``)."""

    adapter_id: str
    version: int
    adapter_sha256: bytes
    base_model_id: bytes
    owner: str
    fee_per_1k_tokens: int
    snapshot_roots: Sequence[bytes] = field(default_factory=tuple)

    @property
    def key(self) -> bytes:
        return ModelRegistry.adapter_key(self.adapter_id, self.version)

    def as_tuple(self) -> tuple[str, int, bytes, bytes, list[bytes], str, int]:
        """The ``AdapterRegistration`` struct as web3 takes it."""
        return (
            self.adapter_id,
            self.version,
            bytes32(self.adapter_sha256, "adapter_sha256"),
            bytes32(self.base_model_id, "base_model_id"),
            [bytes32(root, "snapshot_roots") for root in self.snapshot_roots],
            checksum(self.owner),
            self.fee_per_1k_tokens,
        )


@dataclass(frozen=True)
class Adapter:
    """A registered adapter version."""

    adapter_id_hash: bytes
    version: int
    registered_at: int
    owner: str
    adapter_sha256: bytes
    base_model_id: bytes
    fee_per_1k_tokens: int
    snapshot_roots: tuple[bytes, ...]


@dataclass(frozen=True)
class BaseModel:
    """A catalogue base model."""

    weights_hash: bytes
    owner: str
    registered_at: int
    fee_per_1k_tokens: int
    name: str


class ModelRegistry(AccessControlled):
    """Base models and immutable, versioned adapters with their lineage and fees."""

    CHAIN = "l2"
    NAME = "ModelRegistry"

    @staticmethod
    def adapter_key(adapter_id: str, version: int) -> bytes:
        """keccak256 of ``"{adapter_id}@{version}"``: an adapter version's key."""
        if version <= 0:
            raise InvalidArgument("version", "adapter versions start at 1")
        return keccak(text=f"{adapter_id}@{version}")

    @staticmethod
    def base_model_id(catalogue_id: str) -> bytes:
        """The on-chain id of a catalogue base model: keccak256 of its id."""
        return keccak(text=catalogue_id)

    async def register_base_model(
        self,
        base_model_id: bytes,
        weights_hash: bytes,
        name: str,
        owner: str,
        fee_per_1k_tokens: int,
    ) -> TxReceipt:
        """Add a base model to the catalogue (``CATALOGUE_ROLE``)."""
        fn = self.contract.functions.registerBaseModel(
            bytes32(base_model_id, "base_model_id"),
            bytes32(weights_hash, "weights_hash"),
            name,
            checksum(owner),
            fee_per_1k_tokens,
        )
        return await self._transact(fn)

    async def register_adapter(self, registration: AdapterRegistration) -> TxReceipt:
        """Register one adapter version (``REGISTRAR_ROLE``); its key is
        ``registration.key``."""
        return await self._transact(
            self.contract.functions.registerAdapter(registration.as_tuple())
        )

    async def is_registered(self, key: bytes, adapter_sha256: bytes) -> bool:
        """Whether adapter version ``key`` is registered with exactly this SHA-256."""
        fn = self.contract.functions.isRegistered(
            bytes32(key, "key"), bytes32(adapter_sha256, "adapter_sha256")
        )
        return bool(await self._call(fn))

    async def fee_for(self, key: bytes, tokens: int) -> int:
        """Wei for a completion of ``tokens`` tokens with adapter ``key`` (rounded up)."""
        return int(await self._call(self.contract.functions.feeFor(bytes32(key, "key"), tokens)))

    async def adapter(self, key: bytes) -> Adapter | None:
        """Adapter version ``key``; None if not registered."""
        raw = await self._optional(
            self.contract.functions.adapter(bytes32(key, "key")), "AdapterNotFound"
        )
        if raw is None:
            return None
        id_hash, version, registered_at, owner, sha256, base_model, fee, roots = raw
        return Adapter(
            bytes(id_hash),
            int(version),
            int(registered_at),
            str(owner),
            bytes(sha256),
            bytes(base_model),
            int(fee),
            tuple(bytes(root) for root in roots),
        )

    async def latest_version(self, adapter_id: str) -> int:
        """The latest registered version of ``adapter_id`` (0: none)."""
        fn = self.contract.functions.latestVersion(keccak(text=adapter_id))
        return int(await self._call(fn))

    async def is_base_model_registered(self, base_model_id: bytes) -> bool:
        fn = self.contract.functions.isBaseModelRegistered(bytes32(base_model_id, "base_model_id"))
        return bool(await self._call(fn))

    async def base_model(self, base_model_id: bytes) -> BaseModel | None:
        """A catalogue base model; None if not registered."""
        fn = self.contract.functions.baseModel(bytes32(base_model_id, "base_model_id"))
        raw = await self._optional(fn, "BaseModelNotFound")
        if raw is None:
            return None
        weights, owner, registered_at, fee, name = raw
        return BaseModel(bytes(weights), str(owner), int(registered_at), int(fee), str(name))


# ---------------------------------------------------------------- InferencePool


@dataclass(frozen=True)
class Provider:
    """An inference provider's record."""

    stake: int
    endpoint_metadata_hash: bytes
    registered_at: int
    exit_available_at: int
    registered: bool
    exiting: bool


class InferencePool(AccessControlled):
    """Inference providers' stakes and membership."""

    CHAIN = "l2"
    NAME = "InferencePool"

    async def stake(self, amount: int) -> TxReceipt:
        """Add ``amount`` native OPEN to the sender's stake."""
        return await self._transact(self.contract.functions.stake(), value=amount)

    async def register(self, endpoint_metadata_hash: bytes) -> TxReceipt:
        """Register the sender (stake at least ``min_stake``) or update its metadata hash."""
        fn = self.contract.functions.register(
            bytes32(endpoint_metadata_hash, "endpoint_metadata_hash")
        )
        return await self._transact(fn)

    async def request_exit(self) -> TxReceipt:
        return await self._transact(self.contract.functions.requestExit())

    async def withdraw(self) -> TxReceipt:
        return await self._transact(self.contract.functions.withdraw())

    async def slash(self, provider: str, amount: int, reason_hash: bytes) -> TxReceipt:
        """Slash a provider to ``ProtocolParams.treasury()`` as it is now (``SLASHER_ROLE``; at
        most ``slash_cap``)."""
        fn = self.contract.functions.slash(
            checksum(provider), amount, bytes32(reason_hash, "reason_hash")
        )
        return await self._transact(fn)

    async def is_active(self, provider: str) -> bool:
        return bool(await self._call(self.contract.functions.isActive(checksum(provider))))

    async def stake_of(self, provider: str) -> int:
        return int(await self._call(self.contract.functions.stakeOf(checksum(provider))))

    async def slash_cap(self, provider: str) -> int:
        return int(await self._call(self.contract.functions.slashCap(checksum(provider))))

    async def provider(self, provider: str) -> Provider:
        """The provider's record (all zero when unknown)."""
        raw = await self._call(self.contract.functions.provider(checksum(provider)))
        stake, metadata, registered_at, exit_at, registered, exiting = raw
        return Provider(
            int(stake), bytes(metadata), int(registered_at), int(exit_at), registered, exiting
        )

    async def min_stake(self) -> int:
        return int(await self._call(self.contract.functions.minStake()))

    async def treasury(self) -> ChecksumAddress:
        """Where the next slash goes: ``ProtocolParams.treasury()`` (read through the pool)."""
        return checksum(await self._call(self.contract.functions.treasury()))


# ---------------------------------------------------------------- AttributionRewards


@dataclass(frozen=True)
class Settlement:
    """One inference's settlement (an entry of ``settle_batch``)."""

    inference_id: bytes
    contributors: Sequence[str]
    amounts: Sequence[int]
    evidence_hash: bytes

    @property
    def total(self) -> int:
        return sum(self.amounts)

    def as_tuple(self) -> tuple[bytes, list[str], list[int], bytes]:
        return (
            bytes32(self.inference_id, "inference_id"),
            list(as_addresses(self.contributors)),
            list(self.amounts),
            bytes32(self.evidence_hash, "evidence_hash"),
        )


@dataclass(frozen=True)
class SettlementRecord:
    """What the contract keeps per settled inference."""

    evidence_hash: bytes
    total: int
    contributor_count: int
    block_number: int
    timestamp: int


class AttributionRewards(AccessControlled):
    """Proof of Attribution settlement: credits per inference, pulled with ``claim``."""

    CHAIN = "l2"
    NAME = "AttributionRewards"

    async def settle(
        self,
        inference_id: bytes,
        contributors: Sequence[str],
        amounts: Sequence[int],
        evidence_hash: bytes,
    ) -> TxReceipt:
        """Settle one inference (``ATTRIBUTION_ROLE``), sending ``sum(amounts)`` native OPEN.
        A second settlement of the same id reverts with ``AlreadySettled``."""
        entry = Settlement(inference_id, contributors, amounts, evidence_hash)
        fn = self.contract.functions.settle(*entry.as_tuple())
        return await self._transact(fn, value=entry.total)

    async def settle_batch(self, settlements: Sequence[Settlement]) -> TxReceipt:
        """Settle several inferences at once, all or nothing."""
        fn = self.contract.functions.settleBatch([s.as_tuple() for s in settlements])
        return await self._transact(fn, value=sum(s.total for s in settlements))

    async def claim(self) -> TxReceipt:
        """Pay the sender's whole credit to the sender."""
        return await self._transact(self.contract.functions.claim())

    async def claim_to(self, to: str) -> TxReceipt:
        """Pay the sender's whole credit to ``to``."""
        return await self._transact(self.contract.functions.claimTo(checksum(to)))

    async def claimable(self, account: str) -> int:
        return int(await self._call(self.contract.functions.claimable(checksum(account))))

    async def claimed(self, account: str) -> int:
        return int(await self._call(self.contract.functions.claimed(checksum(account))))

    async def is_settled(self, inference_id: bytes) -> bool:
        fn = self.contract.functions.isSettled(bytes32(inference_id, "inference_id"))
        return bool(await self._call(fn))

    async def settlement(self, inference_id: bytes) -> SettlementRecord | None:
        """The settlement of ``inference_id``; None if not settled."""
        fn = self.contract.functions.settlement(bytes32(inference_id, "inference_id"))
        evidence, total, count, block, timestamp = await self._call(fn)
        if bytes(evidence) == b"\x00" * 32:
            return None
        return SettlementRecord(bytes(evidence), int(total), int(count), int(block), int(timestamp))


# ---------------------------------------------------------------- GOpen


class GOpen(ContractBinding):
    """Native OPEN wrapped 1:1 as the ERC20Votes token governance counts."""

    CHAIN = "l2"
    NAME = "GOpen"

    async def deposit(self, amount: int) -> TxReceipt:
        """Wrap ``amount`` native OPEN for the sender (votes need a ``delegate``)."""
        return await self._transact(self.contract.functions.deposit(), value=amount)

    async def withdraw(self, amount: int) -> TxReceipt:
        return await self._transact(self.contract.functions.withdraw(amount))

    async def delegate(self, delegatee: str) -> TxReceipt:
        return await self._transact(self.contract.functions.delegate(checksum(delegatee)))

    async def balance_of(self, account: str) -> int:
        return int(await self._call(self.contract.functions.balanceOf(checksum(account))))

    async def get_votes(self, account: str) -> int:
        return int(await self._call(self.contract.functions.getVotes(checksum(account))))

    async def total_supply(self) -> int:
        return int(await self._call(self.contract.functions.totalSupply()))


# ---------------------------------------------------------------- L2ToL1MessagePasser


class L2ToL1MessagePasser(ContractBinding):
    """Where withdrawals to L1 start."""

    CHAIN = "l2"
    NAME = "L2ToL1MessagePasser"

    async def initiate_withdrawal(
        self, target: str, value: int, *, gas_limit: int = 0, data: bytes = b""
    ) -> TxReceipt:
        """Withdraw ``value`` native OPEN to ``target`` on L1; ``withdrawals(receipt)`` gives
        the withdrawal to prove on L1."""
        fn = self.contract.functions.initiateWithdrawal(checksum(target), gas_limit, data)
        return await self._transact(fn, value=value)

    def withdrawals(self, receipt: TxReceipt) -> list[WithdrawalTransaction]:
        """The withdrawals this contract recorded in ``receipt``."""
        return [
            WithdrawalTransaction.from_event(event["args"])
            for event in self.events(receipt, "MessagePassed")
        ]

    async def message_nonce(self) -> int:
        return int(await self._call(self.contract.functions.messageNonce()))

    async def is_sent(self, withdrawal_hash: bytes) -> bool:
        fn = self.contract.functions.sentMessages(bytes32(withdrawal_hash, "withdrawal_hash"))
        return bool(await self._call(fn))
