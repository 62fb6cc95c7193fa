"""Conversions between completion rows and ``Completion`` values."""

from __future__ import annotations

from openledger_inference.adapters.repository.tables import CompletionRow
from openledger_inference.domain.model import (
    AdapterRef,
    Completion,
    FeeRate,
    FinishReason,
    Timings,
    Usage,
)


def completion_row(completion: Completion, request_id: str) -> CompletionRow:
    usage, timings = completion.usage, completion.timings
    return CompletionRow(
        inference_id=completion.inference_id,
        request_id=request_id or None,
        payer_address=completion.payer_address,
        adapter="" if completion.adapter is None else str(completion.adapter),
        adapter_sha256=completion.adapter_sha256,
        base_model=completion.base_model,
        node=completion.node,
        provider_address=completion.provider_address,
        prompt_token_ids=list(completion.prompt_token_ids),
        output_token_ids=list(completion.output_token_ids),
        output_text=completion.output_text,
        finish_reason=completion.finish_reason.value,
        matched_stop_sequence=completion.matched_stop_sequence,
        error_message=completion.error_message,
        prompt_tokens=usage.prompt_tokens,
        output_tokens=usage.output_tokens,
        fee=str(usage.fee),
        fee_per_1k_tokens=str(usage.fee_rate.fee_per_1k_tokens),
        fee_rate_block_number=usage.fee_rate.block_number,
        create_time=timings.create_time,
        start_time=timings.start_time,
        first_token_time=timings.first_token_time,
        complete_time=timings.complete_time,
        publish_time=None,
    )


def completion_from_row(row: CompletionRow) -> Completion:
    return Completion(
        inference_id=row.inference_id,
        adapter=AdapterRef.parse(row.adapter) if row.adapter else None,
        adapter_sha256=row.adapter_sha256,
        base_model=row.base_model,
        node=row.node,
        provider_address=row.provider_address,
        payer_address=row.payer_address,
        prompt_token_ids=tuple(row.prompt_token_ids),
        output_token_ids=tuple(row.output_token_ids),
        output_text=row.output_text,
        finish_reason=FinishReason(row.finish_reason),
        matched_stop_sequence=row.matched_stop_sequence,
        usage=Usage(
            prompt_tokens=row.prompt_tokens,
            output_tokens=row.output_tokens,
            fee=int(row.fee),
            fee_rate=FeeRate(int(row.fee_per_1k_tokens), row.fee_rate_block_number),
        ),
        timings=Timings(
            create_time=row.create_time,
            start_time=row.start_time,
            first_token_time=row.first_token_time,
            complete_time=row.complete_time,
        ),
        error_message=row.error_message,
    )
