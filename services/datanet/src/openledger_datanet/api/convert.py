"""Proto ⇄ domain translation: messages of ``openledger.datanet.v1`` to domain values and back.

Enums map by value name: the domain's ``Reason.NEAR_DUPLICATE`` is the proto's
``REJECTION_REASON_NEAR_DUPLICATE``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from google.protobuf import json_format, struct_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from openledger.common.v1 import job_pb2
from openledger.datanet.v1 import (
    contribution_pb2,
    contributor_pb2,
    curation_pb2,
    datanet_pb2,
    snapshot_pb2,
)
from openledger_datanet.domain.curation import (
    Metrics,
    PiiAction,
    PiiType,
    Policy,
    Reason,
    Redaction,
    Rejection,
)
from openledger_datanet.domain.errors import invalid
from openledger_datanet.domain.merkle import MERKLE_SCHEME
from openledger_datanet.domain.model import (
    Contribution,
    ContributionStatus,
    Datanet,
    DatanetState,
    JobState,
    Penalty,
    contribution_name,
)
from openledger_datanet.domain.service import ContributorView, InclusionProof
from openledger_datanet.domain.snapshot import SnapshotRecord
from openledger_kit.values_proto import chain_tx_message, object_ref_message

E = TypeVar("E", bound=enum.Enum)


def to_enum(kind: type[E], prefix: str, number: int, proto_enum: Any, field: str) -> E:
    """A proto enum number as the domain enum of the same name; UNSPECIFIED or unknown values
    are ``InvalidArgument`` naming ``field``."""
    try:
        name = str(proto_enum.Name(number))
    except ValueError:
        raise invalid(field, f"unknown value {number}") from None
    bare = name.removeprefix(prefix)
    if bare == "UNSPECIFIED":
        raise invalid(field, f"{name} is not a valid value here")
    try:
        return kind[bare]
    except KeyError:
        raise invalid(field, f"{name} is not supported") from None


def from_enum(value: enum.Enum, prefix: str, proto_enum: Any) -> Any:
    """The proto enum number of the same name (checked against ``proto_enum``)."""
    return proto_enum.Value(f"{prefix}{value.name}")


def struct_to_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    data = json_format.MessageToDict(struct)
    return data if isinstance(data, dict) else {}


def dict_to_struct(data: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    if data:
        struct.update(dict(data))
    return struct


def stamp(when: datetime | None) -> Timestamp | None:
    if when is None:
        return None
    out = Timestamp()
    out.FromDatetime(when)
    return out


# ------------------------------------------------------------------ policy


def policy_from_proto(message: curation_pb2.CurationPolicy, field: str) -> Policy:
    pii_action = (
        PiiAction.REDACT
        if message.pii_action == curation_pb2.PII_ACTION_UNSPECIFIED
        else to_enum(
            PiiAction,
            "PII_ACTION_",
            message.pii_action,
            curation_pb2.PiiAction,
            f"{field}.pii_action",
        )
    )
    return Policy(
        text_field_paths=tuple(message.text_field_paths),
        min_length_chars=message.min_length_chars,
        max_length_chars=message.max_length_chars,
        near_duplicate_threshold=message.near_duplicate_threshold,
        near_duplicate_ngram_size=message.near_duplicate_ngram_size,
        semantic_dedupe_enabled=message.semantic_dedupe_enabled,
        semantic_duplicate_threshold=message.semantic_duplicate_threshold,
        max_repetition_ratio=message.max_repetition_ratio,
        max_symbol_ratio=message.max_symbol_ratio,
        min_quality_score=message.min_quality_score,
        allowed_languages=tuple(message.allowed_languages),
        pii_action=pii_action,
        pii_types=tuple(
            to_enum(PiiType, "PII_TYPE_", t, curation_pb2.PiiType, f"{field}.pii_types")
            for t in message.pii_types
        ),
        adversarial_check_enabled=message.adversarial_check_enabled,
        slash_rejection_rate=message.slash_rejection_rate,
        slash_window_size=message.slash_window_size,
        slash_amount=message.slash_amount,
        slash_counted_reasons=tuple(
            to_enum(
                Reason,
                "REJECTION_REASON_",
                r,
                curation_pb2.RejectionReason,
                f"{field}.slash_counted_reasons",
            )
            for r in message.slash_counted_reasons
        ),
    )


def policy_to_proto(policy: Policy) -> curation_pb2.CurationPolicy:
    return curation_pb2.CurationPolicy(
        text_field_paths=list(policy.text_field_paths),
        min_length_chars=policy.min_length_chars,
        max_length_chars=policy.max_length_chars,
        near_duplicate_threshold=policy.near_duplicate_threshold,
        near_duplicate_ngram_size=policy.near_duplicate_ngram_size,
        semantic_dedupe_enabled=policy.semantic_dedupe_enabled,
        semantic_duplicate_threshold=policy.semantic_duplicate_threshold,
        max_repetition_ratio=policy.max_repetition_ratio,
        max_symbol_ratio=policy.max_symbol_ratio,
        min_quality_score=policy.min_quality_score,
        allowed_languages=list(policy.allowed_languages),
        pii_action=from_enum(policy.pii_action, "PII_ACTION_", curation_pb2.PiiAction),
        pii_types=[from_enum(t, "PII_TYPE_", curation_pb2.PiiType) for t in policy.pii_types],
        adversarial_check_enabled=policy.adversarial_check_enabled,
        slash_rejection_rate=policy.slash_rejection_rate,
        slash_window_size=policy.slash_window_size,
        slash_amount=policy.slash_amount or "0",
        slash_counted_reasons=[
            from_enum(r, "REJECTION_REASON_", curation_pb2.RejectionReason)
            for r in policy.slash_counted_reasons
        ],
    )


# ------------------------------------------------------------------ datanets


def datanet_to_proto(datanet: Datanet) -> datanet_pb2.Datanet:
    message = datanet_pb2.Datanet(
        name=datanet.name,
        display_name=datanet.display_name,
        domain=datanet.domain,
        description=datanet.description,
        record_schema=dict_to_struct(datanet.record_schema),
        curation_policy=policy_to_proto(datanet.policy),
        stake_required=str(datanet.stake_required),
        curator=datanet.curator,
        state=from_enum(datanet.state, "DATANET_STATE_", datanet_pb2.DatanetState),
        revision=datanet.revision,
        accepted_count=datanet.accepted_count,
        rejected_count=datanet.rejected_count,
        pending_count=datanet.pending_count,
        contributor_count=datanet.contributor_count,
        latest_snapshot=(
            f"{datanet.name}/snapshots/v{datanet.latest_snapshot}"
            if datanet.latest_snapshot
            else ""
        ),
        etag=datanet.etag,
    )
    if datanet.registration is not None:
        message.registration.CopyFrom(chain_tx_message(datanet.registration))
    message.create_time.FromDatetime(datanet.create_time)
    message.update_time.FromDatetime(datanet.update_time)
    return message


def datanet_state(number: int, field: str) -> DatanetState:
    return to_enum(DatanetState, "DATANET_STATE_", number, datanet_pb2.DatanetState, field)


# ------------------------------------------------------------------ contributions


def rejection_to_proto(datanet_id: str, rejection: Rejection) -> curation_pb2.ContributionRejection:
    return curation_pb2.ContributionRejection(
        reason=from_enum(rejection.reason, "REJECTION_REASON_", curation_pb2.RejectionReason),
        detail=rejection.detail,
        field_path=rejection.field_path,
        observed_value=rejection.observed,
        limit=rejection.limit,
        duplicate_of=(
            contribution_name(datanet_id, rejection.duplicate_of) if rejection.duplicate_of else ""
        ),
    )


def redaction_to_proto(redaction: Redaction) -> curation_pb2.PiiRedaction:
    return curation_pb2.PiiRedaction(
        field_path=redaction.field_path,
        pii_type=from_enum(redaction.pii_type, "PII_TYPE_", curation_pb2.PiiType),
        count=redaction.count,
        replacement=redaction.replacement,
    )


def metrics_to_proto(datanet_id: str, metrics: Metrics) -> curation_pb2.CurationMetrics:
    return curation_pb2.CurationMetrics(
        language=metrics.language,
        language_confidence=metrics.language_confidence,
        length_chars=metrics.length_chars,
        repetition_ratio=metrics.repetition_ratio,
        symbol_ratio=metrics.symbol_ratio,
        quality_score=metrics.quality_score,
        max_near_duplicate_similarity=metrics.max_near_duplicate_similarity,
        max_semantic_similarity=max(0.0, metrics.max_semantic_similarity),
        most_similar_contribution=(
            contribution_name(datanet_id, metrics.most_similar) if metrics.most_similar else ""
        ),
        adversarial_score=metrics.adversarial_score,
    )


def contribution_to_proto(contribution: Contribution) -> contribution_pb2.Contribution:
    message = contribution_pb2.Contribution(
        name=contribution.name,
        contributor=contribution.contributor,
        content=dict_to_struct(contribution.content),
        content_hash=contribution.content_hash,
        signature=contribution.signature,
        status=from_enum(
            contribution.status, "CONTRIBUTION_STATUS_", contribution_pb2.ContributionStatus
        ),
        rejections=[
            rejection_to_proto(contribution.datanet_id, r) for r in contribution.rejections
        ],
        pii_redactions=[redaction_to_proto(r) for r in contribution.redactions],
        curated_content_hash=contribution.curated_content_hash,
        accept_sequence=contribution.accept_sequence,
        datanet_revision=contribution.datanet_revision,
        content_size_bytes=contribution.content_size_bytes,
    )
    if contribution.metrics is not None:
        message.curation_metrics.CopyFrom(
            metrics_to_proto(contribution.datanet_id, contribution.metrics)
        )
    message.create_time.FromDatetime(contribution.create_time)
    if contribution.curate_time is not None:
        message.curate_time.FromDatetime(contribution.curate_time)
    return message


def contribution_status(number: int, field: str) -> ContributionStatus:
    return to_enum(
        ContributionStatus,
        "CONTRIBUTION_STATUS_",
        number,
        contribution_pb2.ContributionStatus,
        field,
    )


def rejection_reason(number: int, field: str) -> Reason:
    return to_enum(Reason, "REJECTION_REASON_", number, curation_pb2.RejectionReason, field)


# ------------------------------------------------------------------ contributors


def penalty_to_proto(penalty: Penalty) -> contributor_pb2.Penalty:
    message = contributor_pb2.Penalty(
        id=penalty.id,
        kind=from_enum(penalty.kind, "PENALTY_KIND_", contributor_pb2.PenaltyKind),
        trigger=from_enum(penalty.trigger, "PENALTY_TRIGGER_", contributor_pb2.PenaltyTrigger),
        state=from_enum(penalty.state, "PENALTY_STATE_", contributor_pb2.PenaltyState),
        amount=str(penalty.amount),
        rejection_rate=penalty.rejection_rate,
        contributions=[contribution_name(penalty.datanet_id, c) for c in penalty.contributions],
        detail=penalty.detail,
    )
    if penalty.transaction is not None:
        message.transaction.CopyFrom(chain_tx_message(penalty.transaction))
    message.create_time.FromDatetime(penalty.create_time)
    return message


def contributor_to_proto(view: ContributorView) -> contributor_pb2.Contributor:
    c = view.contributor
    message = contributor_pb2.Contributor(
        name=c.name,
        address=c.address,
        stake=str(view.stake),
        standing=from_enum(
            view.standing, "CONTRIBUTOR_STANDING_", contributor_pb2.ContributorStanding
        ),
        accepted_count=c.accepted_count,
        rejected_count=c.rejected_count,
        pending_count=c.pending_count,
        reputation=c.reputation,
        window_curated_count=c.window_curated_count,
        window_counted_rejections=c.window_counted_rejections,
        window_rejection_rate=c.window_rejection_rate,
        total_slashed=str(c.total_slashed),
        penalties=[penalty_to_proto(p) for p in c.penalties[:100]],
    )
    if c.first_contribution_time is not None:
        message.first_contribution_time.FromDatetime(c.first_contribution_time)
    if c.last_contribution_time is not None:
        message.last_contribution_time.FromDatetime(c.last_contribution_time)
    return message


# ------------------------------------------------------------------ snapshots


def job_state(number: int, field: str) -> JobState:
    return to_enum(JobState, "JOB_STATE_", number, job_pb2.JobState, field)


def snapshot_to_proto(snapshot: Any) -> snapshot_pb2.Snapshot:
    message = snapshot_pb2.Snapshot(
        name=snapshot.name,
        description=snapshot.description,
        sequence=snapshot.sequence,
        state=from_enum(snapshot.state, "JOB_STATE_", job_pb2.JobState),
        progress=snapshot.progress,
        error_reason=snapshot.error_reason,
        error_message=snapshot.error_message,
        creator=snapshot.creator,
        cutoff_accept_sequence=snapshot.cutoff_accept_sequence,
        record_count=snapshot.record_count,
        contributor_count=snapshot.contributor_count,
        content_bytes=snapshot.content_bytes,
        merkle_root=snapshot.merkle_root,
        merkle_scheme=MERKLE_SCHEME if snapshot.merkle_root else "",
    )
    for field in ("create_time", "start_time", "end_time", "accepted_before"):
        when = getattr(snapshot, field)
        if when is not None:
            getattr(message, field).FromDatetime(when)
    if snapshot.jsonl is not None:
        message.jsonl.CopyFrom(object_ref_message(snapshot.jsonl))
    if snapshot.parquet is not None:
        message.parquet.CopyFrom(object_ref_message(snapshot.parquet))
    if snapshot.anchor is not None:
        message.anchor.CopyFrom(chain_tx_message(snapshot.anchor))
    return message


def snapshot_record_to_proto(
    record: SnapshotRecord, *, omit_content: bool = False
) -> snapshot_pb2.SnapshotRecord:
    message = snapshot_pb2.SnapshotRecord(
        index=record.index,
        record_id=record.record_id,
        contributor=record.contributor,
        content_hash=record.content_hash,
        curated_content_hash=record.curated_content_hash,
        signature=record.signature,
        leaf_hash=record.leaf_hash,
    )
    if not omit_content:
        message.content.CopyFrom(dict_to_struct(record.content))
    return message


def inclusion_proof_to_proto(found: InclusionProof) -> snapshot_pb2.InclusionProof:
    proof = found.proof
    return snapshot_pb2.InclusionProof(
        snapshot=found.snapshot.name,
        record=snapshot_record_to_proto(proof.record),
        leaf_index=proof.leaf_index,
        leaf_hash=proof.leaf_hash,
        sibling_hashes=list(proof.sibling_hashes),
        merkle_root=proof.merkle_root,
        record_count=proof.record_count,
        merkle_scheme=proof.merkle_scheme,
    )
