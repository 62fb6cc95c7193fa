"""A provider's signed node registration (``inference.v1.NodeRegistration``): the digest a
provider signs, signing it, and recovering the signer.

The digest is ``keccak256(abi.encode(...))`` over 17 static values, exactly as the proto
documents, so ``InferencePool`` (which declares the same type hash) could recompute it on
chain. Pure: no gRPC, no chain access.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from eth_abi.abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from openledger_inference.domain.model import EngineCapacity, EngineKind

TYPE_HASH = keccak(text="openledger.inference.v1.NodeRegistration")
"""The first word of the digest (``InferencePool.NODE_REGISTRATION_TYPEHASH``)."""

ENGINE_NUMBERS: dict[EngineKind, int] = {EngineKind.TORCH: 1, EngineKind.VLLM: 2}
"""``inference.v1.EngineKind`` numbers, which the digest covers."""

_TYPES = [
    "bytes32",  # type hash
    "uint256",  # chain_id
    "address",  # pool_contract
    "address",  # provider_address
    "bytes32",  # H(endpoint)
    "bytes32",  # metadata_hash
    "uint256",  # engine
    "bytes32",  # H(H(base_models[0]) ‖ …)
    "uint256",  # max_concurrent_requests
    "uint256",  # max_loras
    "uint256",  # max_cpu_loras
    "uint256",  # max_lora_rank
    "uint256",  # max_context_tokens
    "bytes32",  # H(device)
    "uint256",  # accelerator_count
    "uint256",  # accelerator_memory_bytes
    "uint256",  # expire_time seconds
]


@dataclass(frozen=True)
class NodeRegistration:
    """The fields of a ``NodeRegistration``; ``signature`` is empty until signed."""

    provider_address: str
    endpoint: str
    metadata_hash: bytes
    engine: EngineKind
    base_models: tuple[str, ...]
    capacity: EngineCapacity
    chain_id: int
    pool_contract: str
    expire_time: datetime
    """Whole seconds, UTC."""
    signature: bytes = b""

    @property
    def expire_seconds(self) -> int:
        return int(self.expire_time.timestamp())


def registration_digest(registration: NodeRegistration) -> bytes:
    """The 32-byte digest a provider signs (see the module docstring). Raises ``ValueError``
    for values that cannot be encoded (a malformed address, a hash that is not 32 bytes);
    ``Pool`` validates the fields before it gets here."""
    capacity = registration.capacity
    models = b"".join(keccak(text=model) for model in registration.base_models)
    values = [
        TYPE_HASH,
        registration.chain_id,
        to_checksum_address(registration.pool_contract),
        to_checksum_address(registration.provider_address),
        keccak(text=registration.endpoint),
        registration.metadata_hash,
        ENGINE_NUMBERS[registration.engine],
        keccak(models),
        capacity.max_concurrent_requests,
        capacity.max_loras,
        capacity.max_cpu_loras,
        capacity.max_lora_rank,
        capacity.max_context_tokens,
        keccak(text=capacity.device),
        capacity.accelerator_count,
        capacity.accelerator_memory_bytes,
        registration.expire_seconds,
    ]
    return keccak(encode(_TYPES, values))


def sign_registration(registration: NodeRegistration, account: LocalAccount) -> NodeRegistration:
    """``registration`` signed by ``account`` (EIP-191 ``personal_sign`` of the digest, v = 27
    or 28). The account is the provider: ``provider_address`` must be its address."""
    if registration.provider_address.lower() != str(account.address).lower():
        raise ValueError("a registration is signed by its provider_address")
    signed = account.sign_message(encode_defunct(primitive=registration_digest(registration)))
    return replace(registration, signature=bytes(signed.signature))


def recover_provider(registration: NodeRegistration) -> str | None:
    """The checksummed address that signed ``registration``; None when the signature cannot
    be recovered (wrong length, ``v`` not 27/28, ``s`` out of range)."""
    signature = registration.signature
    if len(signature) != 65 or signature[64] not in (27, 28):
        return None
    try:
        address = Account.recover_message(
            encode_defunct(primitive=registration_digest(registration)), signature=signature
        )
    except Exception:  # eth_keys raises several unrelated types for bad signatures
        return None
    return str(to_checksum_address(address))


def whole_seconds(moment: datetime) -> datetime:
    """``moment`` truncated to whole seconds, in UTC: what ``expire_time`` may carry."""
    return datetime.fromtimestamp(int(moment.timestamp()), UTC)
