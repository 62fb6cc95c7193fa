"""Conversions between stored rows / JSON columns and the domain model."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from eth_utils.address import to_checksum_address

from openledger_datanet.adapters.db import (
    ContributionRow,
    ContributorRow,
    DatanetRow,
    PenaltyRow,
    SnapshotRow,
)
from openledger_datanet.domain.curation import Metrics, PiiType, Reason, Redaction, Rejection
from openledger_datanet.domain.model import (
    DOMAIN,
    ChainTx,
    Contribution,
    ContributionStatus,
    Contributor,
    Datanet,
    DatanetState,
    JobState,
    ObjectRef,
    Penalty,
    PenaltyKind,
    PenaltyState,
    PenaltyTrigger,
    Snapshot,
    TxStatus,
    policy_from_dict,
)
from openledger_kit.errors import InvalidArgument


@functools.lru_cache(maxsize=4096)
def checksum_address(value: str) -> str:
    # Checksumming hashes the address (keccak): cached, as batches repeat contributors.
    try:
        return str(to_checksum_address(value))
    except ValueError:
        raise InvalidArgument(
            "contributor", f"not an Ethereum address: {value[:50]!r}", domain=DOMAIN
        ) from None


def reputation_of(row: ContributorRow) -> float:
    return (row.accepted_count + 1) / (row.accepted_count + row.rejected_count + 2)


def reason_code(reason: Reason | str) -> str:
    text = reason.value if isinstance(reason, Reason) else str(reason)
    return text.removeprefix("REJECTION_REASON_")


def datanet_from_row(row: DatanetRow) -> Datanet:
    return Datanet(
        id=row.id,
        display_name=row.display_name,
        domain=row.domain,
        description=row.description,
        record_schema=dict(row.record_schema),
        policy=policy_from_dict(row.curation_policy),
        stake_required=int(row.stake_required),
        curator=row.curator,
        state=DatanetState(row.state),
        revision=row.revision,
        registration=tx_from_json(row.registration),
        accepted_count=row.accepted_count,
        rejected_count=row.rejected_count,
        pending_count=row.pending_count,
        contributor_count=row.contributor_count,
        latest_snapshot=row.latest_snapshot_sequence or 0,
        create_time=row.create_time,
        update_time=row.update_time,
    )


def contribution_from_row(row: ContributionRow) -> Contribution:
    content = row.curated_content if row.curated_content is not None else row.content
    return Contribution(
        id=row.id,
        datanet_id=row.datanet_id,
        contributor=row.contributor,
        content=dict(content or {}),
        content_hash=bytes(row.content_hash),
        signature=bytes(row.signature),
        status=ContributionStatus(row.status),
        rejections=tuple(rejection_from_json(item) for item in row.rejections or ()),
        redactions=tuple(redaction_from_json(item) for item in row.redactions or ()),
        metrics=None if row.metrics is None else metrics_from_json(row.metrics),
        curated_content_hash=bytes(row.curated_content_hash or b""),
        accept_sequence=row.accept_sequence or 0,
        datanet_revision=row.datanet_revision,
        content_size_bytes=row.content_size_bytes,
        create_time=row.create_time,
        curate_time=row.curate_time,
    )


def contributor_from_row(
    datanet_id: str, address: str, row: ContributorRow | None, penalties: list[Penalty]
) -> Contributor:
    if row is None:
        return Contributor(datanet_id=datanet_id, address=address, penalties=tuple(penalties))
    return Contributor(
        datanet_id=datanet_id,
        address=address,
        accepted_count=row.accepted_count,
        rejected_count=row.rejected_count,
        pending_count=row.pending_count,
        window_curated_count=row.window_curated_count,
        window_counted_rejections=row.window_counted_rejections,
        total_slashed=int(row.total_slashed),
        stake_cache=int(row.stake),
        suspended=row.suspended,
        last_slash_time=row.last_slash_time,
        first_contribution_time=row.first_contribution_time,
        last_contribution_time=row.last_contribution_time,
        penalties=tuple(penalties),
    )


def penalty_from_row(row: PenaltyRow) -> Penalty:
    return Penalty(
        id=row.id,
        datanet_id=row.datanet_id,
        contributor=row.contributor,
        kind=PenaltyKind(row.kind),
        trigger=PenaltyTrigger(row.trigger),
        state=PenaltyState(row.state),
        amount=int(row.amount),
        rejection_rate=row.rejection_rate,
        contributions=tuple(str(item) for item in row.contributions or ()),
        detail=row.detail,
        transaction=tx_from_json(row.transaction),
        reason_hash=bytes(row.reason_hash),
        create_time=row.create_time,
    )


def snapshot_from_row(row: SnapshotRow) -> Snapshot:
    return Snapshot(
        datanet_id=row.datanet_id,
        sequence=row.sequence,
        request_id=row.request_id,
        description=row.description,
        state=JobState(row.state),
        progress=row.progress,
        creator=row.creator,
        accepted_before=row.accepted_before,
        cutoff_accept_sequence=row.cutoff_accept_sequence,
        record_count=row.record_count,
        contributor_count=row.contributor_count,
        content_bytes=row.content_bytes,
        merkle_root=bytes(row.merkle_root or b""),
        jsonl=object_from_json(row.jsonl),
        parquet=object_from_json(row.parquet),
        anchor=tx_from_json(row.anchor),
        error_reason=row.error_reason,
        error_message=row.error_message,
        create_time=row.create_time,
        start_time=row.start_time,
        end_time=row.end_time,
    )


def rejection_json(rejection: Rejection) -> dict[str, Any]:
    return {
        "reason": reason_code(rejection.reason),
        "detail": rejection.detail,
        "field_path": rejection.field_path,
        "observed": float(rejection.observed),
        "limit": float(rejection.limit),
        "duplicate_of": rejection.duplicate_of,
    }


def rejection_from_json(data: Mapping[str, Any]) -> Rejection:
    return Rejection(
        reason=Reason(data["reason"]),
        detail=str(data.get("detail", "")),
        field_path=str(data.get("field_path", "")),
        observed=float(data.get("observed", 0.0)),
        limit=float(data.get("limit", 0.0)),
        duplicate_of=str(data.get("duplicate_of", "")),
    )


def redaction_json(redaction: Redaction) -> dict[str, Any]:
    return {
        "field_path": redaction.field_path,
        "pii_type": PiiType(redaction.pii_type).value,
        "count": int(redaction.count),
        "replacement": redaction.replacement,
    }


def redaction_from_json(data: Mapping[str, Any]) -> Redaction:
    return Redaction(
        field_path=str(data["field_path"]),
        pii_type=PiiType(data["pii_type"]),
        count=int(data["count"]),
        replacement=str(data.get("replacement", "")),
    )


def metrics_json(metrics: Metrics) -> dict[str, Any]:
    return {
        "language": metrics.language,
        "language_confidence": float(metrics.language_confidence),
        "length_chars": int(metrics.length_chars),
        "repetition_ratio": float(metrics.repetition_ratio),
        "symbol_ratio": float(metrics.symbol_ratio),
        "quality_score": float(metrics.quality_score),
        "max_near_duplicate_similarity": float(metrics.max_near_duplicate_similarity),
        "max_semantic_similarity": float(metrics.max_semantic_similarity),
        "most_similar": metrics.most_similar,
        "adversarial_score": float(metrics.adversarial_score),
    }


def metrics_from_json(data: Mapping[str, Any]) -> Metrics:
    return Metrics(
        language=str(data.get("language", "")),
        language_confidence=float(data.get("language_confidence", 0.0)),
        length_chars=int(data.get("length_chars", 0)),
        repetition_ratio=float(data.get("repetition_ratio", 0.0)),
        symbol_ratio=float(data.get("symbol_ratio", 0.0)),
        quality_score=float(data.get("quality_score", 0.0)),
        max_near_duplicate_similarity=float(data.get("max_near_duplicate_similarity", 0.0)),
        max_semantic_similarity=float(data.get("max_semantic_similarity", 0.0)),
        most_similar=str(data.get("most_similar", "")),
        adversarial_score=float(data.get("adversarial_score", 0.0)),
    )


def tx_json(tx: ChainTx | None) -> dict[str, Any] | None:
    if tx is None:
        return None
    return {
        "chain_id": tx.chain_id,
        "contract_address": tx.contract_address,
        "tx_hash": tx.tx_hash.hex(),
        "status": TxStatus(tx.status).value,
        "block_number": tx.block_number,
        "block_hash": tx.block_hash.hex(),
        "block_time": tx.block_time.isoformat() if tx.block_time else None,
    }


def tx_from_json(data: Mapping[str, Any] | None) -> ChainTx | None:
    if data is None:
        return None
    block_time = data.get("block_time")
    return ChainTx(
        chain_id=int(data["chain_id"]),
        contract_address=str(data["contract_address"]),
        tx_hash=bytes.fromhex(data.get("tx_hash", "")),
        status=TxStatus(data.get("status", TxStatus.PENDING)),
        block_number=int(data.get("block_number", 0)),
        block_hash=bytes.fromhex(data.get("block_hash", "")),
        block_time=datetime.fromisoformat(block_time) if block_time else None,
    )


def object_json(ref: ObjectRef) -> dict[str, Any]:
    return {
        "uri": ref.uri,
        "sha256": ref.sha256.hex(),
        "size_bytes": ref.size_bytes,
        "media_type": ref.media_type,
    }


def object_from_json(data: Mapping[str, Any] | None) -> ObjectRef | None:
    if data is None:
        return None
    return ObjectRef(
        uri=str(data["uri"]),
        sha256=bytes.fromhex(data["sha256"]),
        size_bytes=int(data["size_bytes"]),
        media_type=str(data["media_type"]),
    )
