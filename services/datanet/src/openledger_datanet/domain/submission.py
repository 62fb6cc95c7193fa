"""Checking one submitted record at the door: canonical content, size, content hash and the
contributor's EIP-191 signature over it. Pure: stake and suspension are checked by the service.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openledger_datanet.domain.canonical import ContentInvalid, canonical_json, keccak_bytes
from openledger_datanet.domain.errors import SubmissionErrorReason, SubmissionFailure
from openledger_datanet.domain.model import parse_address
from openledger_kit.auth.signer import recover_signer
from openledger_kit.errors import InvalidArgument, Unauthenticated

# secp256k1 group order; EIP-2 requires s <= n / 2.
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@dataclass(frozen=True)
class RecordInput:
    """One record as the client sent it (``ContributionRecord``)."""

    content: Mapping[str, Any] | None
    contributor: str
    content_hash: bytes
    signature: bytes


@dataclass(frozen=True)
class CheckedRecord:
    """A record that passed the integrity checks."""

    contributor: str
    """EIP-55 checksummed."""
    content: dict[str, Any]
    content_hash: bytes
    signature: bytes
    content_size_bytes: int


def check_record(
    index: int, record: RecordInput, *, max_record_bytes: int
) -> CheckedRecord | SubmissionFailure:
    """The record's integrity: either the checked record or why it is refused (the message
    names the field as ``records[i].<field>``)."""
    where = f"records[{index}]"

    def fail(reason: SubmissionErrorReason, field: str, message: str) -> SubmissionFailure:
        return SubmissionFailure(reason, f"{where}.{field}: {message}")

    if record.content is None:
        return fail(SubmissionErrorReason.CONTENT_INVALID, "content", "missing")
    try:
        canonical = canonical_json(record.content)
    except ContentInvalid as exc:
        return fail(SubmissionErrorReason.CONTENT_INVALID, "content", exc.description)
    if len(canonical) > max_record_bytes:
        return fail(
            SubmissionErrorReason.RECORD_TOO_LARGE,
            "content",
            f"canonical JSON is {len(canonical)} bytes, more than {max_record_bytes}",
        )
    try:
        contributor = parse_address(record.contributor, f"{where}.contributor")
    except InvalidArgument as exc:
        return fail(SubmissionErrorReason.CONTRIBUTOR_INVALID, "contributor", exc.description)
    expected = keccak_bytes(canonical)
    if len(record.content_hash) != 32:
        return fail(
            SubmissionErrorReason.CONTENT_HASH_MISMATCH,
            "content_hash",
            f"must be 32 bytes, got {len(record.content_hash)}",
        )
    if record.content_hash != expected:
        return fail(
            SubmissionErrorReason.CONTENT_HASH_MISMATCH,
            "content_hash",
            f"is 0x{record.content_hash.hex()}, but keccak256 of the canonical content is "
            f"0x{expected.hex()}",
        )
    problem = _signature_problem(record.signature)
    if problem is not None:
        return fail(SubmissionErrorReason.SIGNATURE_INVALID, "signature", problem)
    try:
        signer = recover_signer(expected, "0x" + record.signature.hex())
    except Unauthenticated:
        return fail(SubmissionErrorReason.SIGNATURE_INVALID, "signature", "recovers no key")
    if signer != contributor.lower():
        return fail(
            SubmissionErrorReason.SIGNER_MISMATCH,
            "signature",
            f"signed by {signer}, not by the contributor {contributor}",
        )
    return CheckedRecord(
        contributor=contributor,
        content=dict(record.content),
        content_hash=expected,
        signature=bytes(record.signature),
        content_size_bytes=len(canonical),
    )


def _signature_problem(signature: bytes) -> str | None:
    if not signature:
        return "missing: the record is unsigned"
    if len(signature) != 65:
        return f"must be 65 bytes r || s || v, got {len(signature)}"
    if signature[64] not in (27, 28):
        return f"v must be 27 or 28, got {signature[64]}"
    s = int.from_bytes(signature[32:64], "big")
    if s == 0 or s > _SECP256K1_N // 2:
        return "s is not in the lower half of the curve order (EIP-2)"
    return None
