"""``AttributionService`` over gRPC: each RPC parses its request (errors naming the field),
calls the repository, the attributor or the chain, and converts the result, nothing else.
Errors are ``openledger_kit.errors``; the kit's error interceptor turns them into statuses with
``ErrorInfo`` and ``BadRequest``."""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Any

from openledger.attribution.v1 import attribution_service_pb2 as pb
from openledger.attribution.v1 import attribution_service_pb2_grpc as pb_grpc
from openledger_attribution.adapters.evidence import fee_split_message, parameters_message
from openledger_attribution.adapters.rewards import RewardsReader
from openledger_attribution.api import convert
from openledger_attribution.domain.adhoc import AdHocRequest
from openledger_attribution.domain.attributor import Attributor
from openledger_attribution.domain.explain import ExplainLimits
from openledger_attribution.domain.model import Attribution, Settlement
from openledger_attribution.domain.ports import CreditFilter, CreditPage, Repository
from openledger_kit.errors import InvalidArgument, NotFound, ResourceExhausted
from openledger_kit.store import Digest, ObjectStore

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["AttributionService"].full_name
"""``openledger.attribution.v1.AttributionService``."""

MAX_EVIDENCE_BYTES = 4 * 1024 * 1024
"""``GetAttributionRequest.include_evidence`` returns evidence up to this size."""


class AttributionServicer(pb_grpc.AttributionServiceServicer):
    """Translates ``openledger.attribution.v1.AttributionService`` to the service's parts."""

    def __init__(
        self,
        *,
        repository: Repository,
        attributor: Attributor,
        store: ObjectStore,
        rewards: RewardsReader,
    ) -> None:
        self._repository = repository
        self._attributor = attributor
        self._store = store
        self._rewards = rewards

    async def GetAttribution(  # noqa: N802 - gRPC method names
        self, request: pb.GetAttributionRequest, context: Any
    ) -> pb.GetAttributionResponse:
        inference_id = convert.inference_id_of(request.name, "name")
        attribution, settlement = await asyncio.to_thread(self._read, inference_id)
        response = pb.GetAttributionResponse(
            attribution=convert.attribution_to_proto(
                attribution, settlement, self._evidence_uri(attribution)
            )
        )
        if request.include_evidence and attribution.evidence_digest:
            response.evidence_bytes = await asyncio.to_thread(self._evidence, attribution)
        return response

    def _read(self, inference_id: str) -> tuple[Attribution, Settlement | None]:
        attribution = self._repository.get_attribution(inference_id)
        if attribution is None:
            raise NotFound(
                f"no attribution for inference {inference_id} (completions arrive within "
                "seconds of being generated; retry later)",
                reason="ATTRIBUTION_NOT_FOUND",
            )
        return attribution, self._repository.latest_settlement(inference_id)

    def _evidence_uri(self, attribution: Attribution) -> str:
        if not attribution.evidence_digest:
            return ""
        return self._store.location(Digest(attribution.evidence_digest))

    def _evidence(self, attribution: Attribution) -> bytes:
        digest = Digest(attribution.evidence_digest)
        size = self._store.size(digest)
        if size > MAX_EVIDENCE_BYTES:
            raise ResourceExhausted(
                f"the evidence is {size} bytes, over the {MAX_EVIDENCE_BYTES} bytes "
                f"include_evidence returns; read it from {self._evidence_uri(attribution)}",
                reason="EVIDENCE_TOO_LARGE",
            )
        return self._store.get_bytes(digest, verify=True)

    async def ExplainCompletion(  # noqa: N802
        self, request: pb.ExplainCompletionRequest, context: Any
    ) -> pb.ExplainCompletionResponse:
        inference_id = convert.uuid_string(request.inference_id, "inference_id")
        explanation = await self._attributor.explain(
            inference_id,
            ExplainLimits.of(
                max_spans=request.max_spans,
                max_matches_per_span=request.max_matches_per_span,
                max_examples=request.max_examples,
                snippet_chars=request.snippet_chars,
            ),
        )
        return pb.ExplainCompletionResponse(explanation=convert.explanation_to_proto(explanation))

    async def Attribute(  # noqa: N802
        self, request: pb.AttributeRequest, context: Any
    ) -> pb.AttributeResponse:
        explain = None
        if request.include_explanation:
            explain = ExplainLimits.of(
                max_spans=request.max_spans,
                max_matches_per_span=request.max_matches_per_span,
                max_examples=request.max_examples,
                snippet_chars=request.snippet_chars,
            )
        result = await self._attributor.attribute_text(
            AdHocRequest(
                text=request.text,
                prompt=request.prompt,
                snapshot=request.snapshot,
                adapter=request.adapter,
                method=convert.method_from_proto(request.method, "method"),
                fee=convert.wei(request.fee, "fee"),
                explain=explain,
            )
        )
        method = result.weights.method
        response = pb.AttributeResponse(
            method=convert.method_to_proto(method),
            parameters=parameters_message(
                result.parameters, method, result.weights.span_weight_bps
            ),
            threshold_bps=result.threshold_bps,
            snapshot_merkle_root=result.snapshot_merkle_root,
            contributors=convert.contributors_to_proto(result.contributors),
            contributor_count=len(result.contributors),
        )
        if result.fee_split is not None:
            response.fee_split.CopyFrom(fee_split_message(result.fee_split))
        if result.explanation is not None:
            response.explanation.CopyFrom(convert.explanation_to_proto(result.explanation))
        return response

    async def ListContributorRewards(  # noqa: N802
        self, request: pb.ListContributorRewardsRequest, context: Any
    ) -> pb.ListContributorRewardsResponse:
        contributor = convert.address(request.contributor_address, "contributor_address")
        start = request.start_time.ToDatetime(UTC) if request.HasField("start_time") else None
        end = request.end_time.ToDatetime(UTC) if request.HasField("end_time") else None
        if start is not None and end is not None and start > end:
            raise InvalidArgument("start_time", "is after end_time")
        query = CreditFilter(
            address=contributor,
            start_time=start,
            end_time=end,
            states=convert.settlement_states_filter(request.states, "states"),
            datanet=convert.datanet_filter(request.datanet, "datanet"),
            adapter=convert.adapter_ref(request.adapter, "adapter"),
        )

        def read() -> tuple[CreditPage, tuple[int, int]]:
            page = self._repository.list_credits(query, request.page_size, request.page_token)
            return page, self._repository.credit_totals(contributor)

        (page, (earned, pending)), balance = await asyncio.gather(
            asyncio.to_thread(read), self._rewards.balance(contributor)
        )
        return pb.ListContributorRewardsResponse(
            credits=[convert.credit_to_proto(credit) for credit in page.credits],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
            matched_amount=str(page.matched_amount),
            total_earned=str(earned),
            total_pending=str(pending),
            total_claimable=str(balance.claimable),
            total_claimed=str(balance.claimed),
            as_of_block=balance.block_number,
        )

    async def GetSettlement(  # noqa: N802
        self, request: pb.GetSettlementRequest, context: Any
    ) -> pb.GetSettlementResponse:
        key = request.WhichOneof("key")
        if key == "name":
            settlement_id = convert.settlement_id_of(request.name, "name")
            settlement = await asyncio.to_thread(self._repository.get_settlement, settlement_id)
            missing = f"settlement {request.name} does not exist"
        elif key == "inference_id":
            inference_id = convert.uuid_string(request.inference_id, "inference_id")
            settlement = await asyncio.to_thread(self._repository.latest_settlement, inference_id)
            missing = (
                f"inference {inference_id} has no settlement: its attribution is still PENDING "
                "or FAILED, or the inference is unknown"
            )
        else:
            raise InvalidArgument("key", "give either name or inference_id")
        if settlement is None:
            raise NotFound(missing, reason="SETTLEMENT_NOT_FOUND")
        return pb.GetSettlementResponse(settlement=convert.settlement_to_proto(settlement))
