"""Rows to domain values and back."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from openledger_attribution.adapters.repository.tables import (
    AdapterRow,
    AttributionRow,
    CompletionRow,
    ContributorRow,
    SettlementRow,
    SnapshotRow,
    SpanIndexRow,
)
from openledger_attribution.domain.model import (
    AdapterInfo,
    Attribution,
    AttributionState,
    CompletionInput,
    ContributorResult,
    FeeSplitAmounts,
    NegativeInfluence,
    Settlement,
    SettlementState,
    SnapshotInfo,
    datanet_of,
)
from openledger_attribution.domain.policy import Method
from openledger_attribution.domain.ports import IndexRecord
from openledger_attribution.settlement.evidence import ScoringParameters
from openledger_attribution.settlement.payouts import FeeSplitBps, address_order
from openledger_kit.values import ChainTx, TxStatus

# ---------------------------------------------------------------- token ids


def pack_tokens(token_ids: Sequence[int]) -> bytes:
    """Token ids as uint32 little-endian: 4 bytes a token, a tenth of their JSON."""
    return struct.pack(f"<{len(token_ids)}I", *token_ids)


def unpack_tokens(blob: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(blob) // 4}I", blob)


# ---------------------------------------------------------------- catalogue


def adapter_row(adapter: AdapterInfo) -> AdapterRow:
    return AdapterRow(
        ref=adapter.ref,
        base_model=adapter.base_model,
        owner=adapter.owner,
        adapter_sha256=adapter.adapter_sha256,
        snapshot=adapter.snapshot,
        snapshot_merkle_root=adapter.snapshot_merkle_root,
        adapter_model_digest=adapter.adapter_model_digest,
        adapter_config_digest=adapter.adapter_config_digest,
        features_digest=adapter.features_digest,
    )


def to_adapter(row: AdapterRow) -> AdapterInfo:
    return AdapterInfo(
        ref=row.ref,
        base_model=row.base_model,
        owner=row.owner,
        adapter_sha256=row.adapter_sha256,
        snapshot=row.snapshot,
        snapshot_merkle_root=row.snapshot_merkle_root,
        adapter_model_digest=row.adapter_model_digest,
        adapter_config_digest=row.adapter_config_digest,
        features_digest=row.features_digest,
    )


def snapshot_row(snapshot: SnapshotInfo) -> SnapshotRow:
    return SnapshotRow(
        name=snapshot.name,
        merkle_root=snapshot.merkle_root,
        record_count=snapshot.record_count,
        jsonl_digest=snapshot.jsonl_digest,
        publish_time=snapshot.publish_time,
    )


def to_snapshot(row: SnapshotRow) -> SnapshotInfo:
    return SnapshotInfo(
        name=row.name,
        merkle_root=row.merkle_root,
        record_count=row.record_count,
        jsonl_digest=row.jsonl_digest,
        publish_time=row.publish_time,
    )


def index_row(index: IndexRecord) -> SpanIndexRow:
    return SpanIndexRow(
        snapshot=index.snapshot,
        base_model=index.base_model,
        sha256=index.sha256,
        manifest_digest=index.manifest_digest,
        document_count=index.document_count,
        token_count=index.token_count,
        build_time=index.build_time,
    )


def to_index(row: SpanIndexRow) -> IndexRecord:
    return IndexRecord(
        snapshot=row.snapshot,
        base_model=row.base_model,
        sha256=row.sha256,
        manifest_digest=row.manifest_digest,
        document_count=row.document_count,
        token_count=row.token_count,
        build_time=row.build_time,
    )


# ---------------------------------------------------------------- completions


def completion_row(completion: CompletionInput) -> CompletionRow:
    return CompletionRow(
        inference_id=completion.inference_id,
        adapter=completion.adapter,
        adapter_sha256=completion.adapter_sha256,
        base_model=completion.base_model,
        payer=completion.payer,
        prompt_ids=pack_tokens(completion.prompt_ids),
        output_ids=pack_tokens(completion.output_ids),
        fee=str(completion.fee),
        finish_reason=completion.finish_reason,
        complete_time=completion.complete_time,
    )


def to_completion(row: CompletionRow) -> CompletionInput:
    return CompletionInput(
        inference_id=row.inference_id,
        adapter=row.adapter,
        adapter_sha256=row.adapter_sha256,
        base_model=row.base_model,
        payer=row.payer,
        prompt_ids=unpack_tokens(row.prompt_ids),
        output_ids=unpack_tokens(row.output_ids),
        fee=int(row.fee),
        finish_reason=row.finish_reason,
        complete_time=row.complete_time,
    )


# ---------------------------------------------------------------- attributions


def pending_row(completion: CompletionInput, now: datetime) -> AttributionRow:
    row = AttributionRow(inference_id=completion.inference_id)
    write_attribution(
        row,
        Attribution(
            inference_id=completion.inference_id,
            state=AttributionState.PENDING,
            adapter=completion.adapter,
            base_model=completion.base_model,
            fee=completion.fee,
            payer=completion.payer,
            create_time=now,
        ),
    )
    return row


def write_attribution(row: AttributionRow, attribution: Attribution) -> None:
    """Every field of ``attribution`` but its contributors onto ``row``."""
    parameters = attribution.parameters
    row.state = attribution.state.value
    row.adapter = attribution.adapter
    row.base_model = attribution.base_model
    row.fee = str(attribution.fee)
    row.payer = attribution.payer
    row.create_time = attribution.create_time
    row.snapshot = attribution.snapshot
    row.datanet = datanet_of(attribution.snapshot) if attribution.snapshot else ""
    row.method = attribution.method.value if attribution.method is not None else None
    row.span_weight_bps = attribution.span_weight_bps
    row.min_span_tokens = parameters.min_span_tokens
    row.max_span_occurrences = parameters.max_span_occurrences
    row.max_spans = parameters.max_spans
    row.projection_dim = parameters.projection_dim
    row.projection_seed = parameters.projection_seed
    row.damping = parameters.damping
    row.max_examples = parameters.max_examples
    row.scorer_version = parameters.scorer_version
    row.threshold_bps = attribution.threshold_bps
    _write_split(row, attribution.fee_split)
    row.negative = [
        {"address": n.address, "score": n.score, "contributions": list(n.contributions)}
        for n in attribution.negative
    ]
    row.evidence_hash = attribution.evidence_hash
    row.evidence_digest = attribution.evidence_digest
    row.snapshot_merkle_root = attribution.snapshot_merkle_root
    row.complete_time = attribution.complete_time
    row.error_reason = attribution.error_reason
    row.error_message = attribution.error_message


def to_attribution(row: AttributionRow, contributors: Iterable[ContributorRow]) -> Attribution:
    return Attribution(
        inference_id=row.inference_id,
        state=AttributionState(row.state),
        adapter=row.adapter,
        base_model=row.base_model,
        fee=int(row.fee),
        payer=row.payer,
        create_time=row.create_time,
        snapshot=row.snapshot,
        method=Method(row.method) if row.method is not None else None,
        span_weight_bps=row.span_weight_bps,
        parameters=ScoringParameters(
            min_span_tokens=row.min_span_tokens,
            max_span_occurrences=row.max_span_occurrences,
            max_spans=row.max_spans,
            projection_dim=row.projection_dim,
            projection_seed=row.projection_seed,
            damping=row.damping,
            max_examples=row.max_examples,
            scorer_version=row.scorer_version,
        ),
        threshold_bps=row.threshold_bps,
        contributors=ordered(to_contributor(c) for c in contributors),
        fee_split=_read_split(row),
        negative=tuple(
            NegativeInfluence(
                address=item["address"],
                score=float(item["score"]),
                contributions=tuple(item["contributions"]),
            )
            for item in row.negative
        ),
        evidence_hash=row.evidence_hash,
        evidence_digest=row.evidence_digest,
        snapshot_merkle_root=row.snapshot_merkle_root,
        complete_time=row.complete_time,
        error_reason=row.error_reason,
        error_message=row.error_message,
    )


def ordered(contributors: Iterable[ContributorResult]) -> tuple[ContributorResult, ...]:
    """Score descending, then address ascending (as 20-byte numbers: EIP-55 mixes cases)."""
    return tuple(sorted(contributors, key=lambda c: (-c.score, address_order(c.address))))


def contributor_row(inference_id: str, contributor: ContributorResult) -> ContributorRow:
    return ContributorRow(
        inference_id=inference_id,
        address=contributor.address,
        score=contributor.score,
        span_score=contributor.span_score,
        gradient_score=contributor.gradient_score,
        raw_share=contributor.raw_share,
        eligible=contributor.eligible,
        share=contributor.share,
        amount=str(contributor.amount),
        record_count=contributor.record_count,
    )


def to_contributor(row: ContributorRow) -> ContributorResult:
    return ContributorResult(
        address=row.address,
        score=row.score,
        span_score=row.span_score,
        gradient_score=row.gradient_score,
        raw_share=row.raw_share,
        eligible=row.eligible,
        share=row.share,
        amount=int(row.amount),
        record_count=row.record_count,
    )


# ---------------------------------------------------------------- settlements


def settlement_row(settlement: Settlement) -> SettlementRow:
    tx = settlement.transaction
    row = SettlementRow(
        id=settlement.settlement_id,
        inference_id=settlement.inference_id,
        state=settlement.state.value,
        create_time=settlement.create_time,
        update_time=settlement.create_time,
        payouts=[[address, str(amount)] for address, amount in settlement.payouts],
        evidence_hash=settlement.evidence_hash,
        batch_id=settlement.batch_id,
        chain_id=tx.chain_id if tx is not None else None,
        contract=tx.contract_address if tx is not None else None,
        tx_hash=tx.tx_hash if tx is not None else None,
        block_number=tx.block_number if tx is not None else None,
        submit_time=settlement.submit_time,
        confirm_time=settlement.confirm_time,
        attempts=settlement.attempts,
        error_reason=settlement.error_reason,
        error_message=settlement.error_message,
        published=settlement.published,
        lease_owner="",
        lease_until=None,
    )
    _write_split(row, settlement.fee_split)
    return row


def to_settlement(row: SettlementRow) -> Settlement:
    fee_split = _read_split(row)
    assert fee_split is not None, "a settlement's split columns are NOT NULL"
    return Settlement(
        settlement_id=row.id,
        inference_id=row.inference_id,
        state=SettlementState(row.state),
        create_time=row.create_time,
        payouts=tuple((str(address), int(amount)) for address, amount in row.payouts),
        fee_split=fee_split,
        evidence_hash=row.evidence_hash,
        batch_id=row.batch_id,
        transaction=chain_tx(row.chain_id, row.contract, row.tx_hash, row.block_number),
        submit_time=row.submit_time,
        confirm_time=row.confirm_time,
        attempts=row.attempts,
        error_reason=row.error_reason,
        error_message=row.error_message,
        published=row.published,
    )


def chain_tx(
    chain_id: int | None, contract: str | None, tx_hash: bytes | None, block_number: int | None
) -> ChainTx | None:
    if chain_id is None or contract is None or tx_hash is None or block_number is None:
        return None
    # A settlement records its transaction once the receipt is in: included, not reverted.
    return ChainTx(
        chain_id=chain_id,
        contract_address=contract,
        tx_hash=tx_hash,
        status=TxStatus.SUCCEEDED,
        block_number=block_number,
    )


# ---------------------------------------------------------------- fee splits


def _write_split(row: AttributionRow | SettlementRow, split: FeeSplitAmounts | None) -> None:
    values: dict[str, Any] = {
        "split_fee": None,
        "split_contributors_bps": None,
        "split_model_owner_bps": None,
        "split_protocol_bps": None,
        "split_contributors_amount": None,
        "split_model_owner_amount": None,
        "split_protocol_amount": None,
        "split_model_owner_address": None,
        "split_protocol_address": None,
    }
    if split is not None:
        values = {
            "split_fee": str(split.fee),
            "split_contributors_bps": split.bps.contributors_bps,
            "split_model_owner_bps": split.bps.model_owner_bps,
            "split_protocol_bps": split.bps.protocol_bps,
            "split_contributors_amount": str(split.contributors_amount),
            "split_model_owner_amount": str(split.model_owner_amount),
            "split_protocol_amount": str(split.protocol_amount),
            "split_model_owner_address": split.model_owner_address,
            "split_protocol_address": split.protocol_address,
        }
    for name, value in values.items():
        setattr(row, name, value)


def _read_split(row: AttributionRow | SettlementRow) -> FeeSplitAmounts | None:
    if (
        row.split_fee is None
        or row.split_contributors_bps is None
        or row.split_model_owner_bps is None
        or row.split_protocol_bps is None
        or row.split_contributors_amount is None
        or row.split_model_owner_amount is None
        or row.split_protocol_amount is None
        or row.split_model_owner_address is None
        or row.split_protocol_address is None
    ):
        return None
    return FeeSplitAmounts(
        fee=int(row.split_fee),
        bps=FeeSplitBps(
            contributors_bps=row.split_contributors_bps,
            model_owner_bps=row.split_model_owner_bps,
            protocol_bps=row.split_protocol_bps,
        ),
        contributors_amount=int(row.split_contributors_amount),
        model_owner_amount=int(row.split_model_owner_amount),
        protocol_amount=int(row.split_protocol_amount),
        model_owner_address=row.split_model_owner_address,
        protocol_address=row.split_protocol_address,
    )
