"""The Attributor: a completion (or ad-hoc text) scored against the snapshot its adapter was
trained on, the fee divided by the governed threshold and split, and the evidence written.

Scoring is deterministic: the same completion under the same governed parameters gives the
same evidence bytes, so two workers racing on one completion compute the same hash and the
chain's idempotent settlement keeps either. CPU work (tracing, gradients, explaining) runs in
worker threads, off the event loop.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib.metadata import version
from typing import TypeVar

import torch

from openledger_attribution.domain.adhoc import AdHocRequest, AdHocResult
from openledger_attribution.domain.explain import ExplainLimits, Explanation, explain
from openledger_attribution.domain.model import (
    AdapterInfo,
    Attribution,
    AttributionState,
    CompletionInput,
    ContributorResult,
    FeeSplitAmounts,
    GovernedParams,
    NegativeInfluence,
    Settlement,
    SettlementState,
    SnapshotInfo,
    datanet_of,
)
from openledger_attribution.domain.policy import (
    Method,
    MethodWeights,
    PolicyConfig,
    choose_methods,
    combine,
)
from openledger_attribution.domain.ports import (
    BaseModels,
    EvidenceCodec,
    GradientModel,
    GradientModels,
    IndexRecord,
    LoadedIndex,
    Params,
    Repository,
    SettlementChain,
    SpanIndexes,
)
from openledger_attribution.influence.query import Completion
from openledger_attribution.influence.scoring import InfluenceResult
from openledger_attribution.settlement.evidence import (
    ContributorScore,
    Evidence,
    EvidenceDocument,
    ScoredRecord,
    ScoredSpan,
    ScoringParameters,
    scores_e9,
    token_ids_hash,
)
from openledger_attribution.settlement.payouts import (
    Payouts,
    address_order,
    checksummed,
    split_fee,
)
from openledger_attribution.spans.attribution import SpanParameters, SpanResult, trace_spans
from openledger_kit.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from openledger_kit.ids import new_id
from openledger_kit.store import Digest, ObjectStore

T = TypeVar("T")

ADAPTER_UNKNOWN = "ADAPTER_UNKNOWN"
SNAPSHOT_UNKNOWN = "SNAPSHOT_UNKNOWN"
ADAPTER_HASH_MISMATCH = "ADAPTER_HASH_MISMATCH"
BASE_MODEL_MISMATCH = "BASE_MODEL_MISMATCH"
ADAPTER_NOT_TRAINED_ON_SNAPSHOT = "ADAPTER_NOT_TRAINED_ON_SNAPSHOT"
INDEX_MISSING = "INDEX_MISSING"
_DOMAIN = "openledger.attribution"
_POLL_SECONDS = 0.25


def _scorer_version() -> str:
    return f"openledger-attribution {version('openledger-attribution')}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ScoringConfig:
    policy: PolicyConfig = PolicyConfig()
    spans: SpanParameters = SpanParameters()
    max_examples: int = 20
    """Influential records kept in the evidence (largest |influence|)."""
    adapter_wait_seconds: float = 30.0
    """A completion may arrive before its adapter's (or snapshot's) published event."""
    scorer_version: str = field(default_factory=_scorer_version)

    def __post_init__(self) -> None:
        if self.max_examples < 0:
            raise InvalidArgument("scoring.max_examples", "must not be negative")
        if not (math.isfinite(self.adapter_wait_seconds) and self.adapter_wait_seconds >= 0):
            raise InvalidArgument("scoring.adapter_wait_seconds", "must be >= 0")


@dataclass(frozen=True)
class Scored:
    """A scored completion: what ``Repository.finish`` stores and the settlement loop sends."""

    attribution: Attribution
    settlement: Settlement


@dataclass(frozen=True)
class _Scores:
    """One scoring run's results before the fee is split."""

    weights: MethodWeights
    parameters: ScoringParameters
    contributors: tuple[ContributorScore, ...]
    spans: tuple[ScoredSpan, ...]
    examples: tuple[ScoredRecord, ...]
    negative: tuple[NegativeInfluence, ...]
    gradient: GradientModel | None


class Attributor:
    def __init__(
        self,
        *,
        repository: Repository,
        store: ObjectStore,
        base_models: BaseModels,
        indexes: SpanIndexes,
        gradients: GradientModels,
        params: Params,
        chain: SettlementChain,
        evidence: EvidenceCodec,
        config: ScoringConfig,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._repository = repository
        self._store = store
        self._base_models = base_models
        self._indexes = indexes
        self._gradients = gradients
        self._params = params
        self._chain = chain
        self._evidence = evidence
        self._config = config
        self._clock = clock

    # ------------------------------------------------------------ completions

    async def attribute(self, completion: CompletionInput) -> Scored:
        """Score ``completion``, store its evidence and return the attribution with its
        PENDING settlement. ``Unavailable(ADAPTER_UNKNOWN | SNAPSHOT_UNKNOWN)`` when the
        catalogue still lacks them after ``adapter_wait_seconds`` (retry later);
        ``FailedPrecondition`` for what no retry changes."""
        if not completion.adapter:
            return await self._not_attributable(completion, owner=None)
        adapter = await self._wait(
            lambda: self._repository.get_adapter(completion.adapter),
            ADAPTER_UNKNOWN,
            f"adapter {completion.adapter} is not in the catalogue yet",
        )
        if completion.adapter_sha256 and completion.adapter_sha256 != adapter.adapter_sha256:
            raise FailedPrecondition(
                f"completion {completion.inference_id} ran adapter {completion.adapter} with"
                f" sha256 {completion.adapter_sha256.hex()}, the catalogue registers"
                f" {adapter.adapter_sha256.hex()}",
                reason=ADAPTER_HASH_MISMATCH,
                domain=_DOMAIN,
            )
        if completion.base_model and completion.base_model != adapter.base_model:
            # The output ids are the completion's base model's tokens; another tokenizer's
            # index would match garbage.
            raise FailedPrecondition(
                f"completion {completion.inference_id} ran on base model"
                f" {completion.base_model}, adapter {adapter.ref} is on {adapter.base_model}",
                reason=BASE_MODEL_MISMATCH,
                domain=_DOMAIN,
            )
        if not adapter.snapshot:
            return await self._not_attributable(completion, owner=adapter.owner)
        snapshot = await self._wait(
            lambda: self._repository.get_snapshot(adapter.snapshot),
            SNAPSHOT_UNKNOWN,
            f"snapshot {adapter.snapshot} of adapter {adapter.ref} is not in the catalogue yet",
        )
        info = await self._base_models.info(adapter.base_model)
        weights = choose_methods(info.parameter_count, adapter.has_features, self._config.policy)
        loaded = await self._indexes.get(snapshot, adapter.base_model, build=True)
        scores = await self._score(
            completion.prompt_ids, completion.output_ids, snapshot, adapter, loaded, weights
        )
        governed = await self._params.current()
        chain_id, contract = await self._chain.target()
        payouts = _split(completion.fee, scores.contributors, governed, adapter.owner)
        evidence = Evidence(
            inference_id=completion.inference_id,
            chain_id=chain_id,
            rewards_contract=contract,
            base_model=adapter.base_model,
            weights=weights,
            parameters=scores.parameters,
            contributors=scores.contributors,
            prompt_hash=token_ids_hash(completion.prompt_ids),
            output_hash=token_ids_hash(completion.output_ids),
            adapter=adapter.ref,
            adapter_sha256=adapter.adapter_sha256,
            snapshot=snapshot.name,
            snapshot_merkle_root=snapshot.merkle_root,
            span_index_sha256=(
                _sha256_bytes(loaded.record.manifest_digest) if weights.uses_span else b""
            ),
            gradient_features_sha256=(
                scores.gradient.features_sha256 if scores.gradient is not None else b""
            ),
            spans=scores.spans,
            examples=scores.examples,
        )
        document = await self._store_evidence(evidence, payouts)
        now = self._clock()
        attribution = Attribution(
            inference_id=completion.inference_id,
            state=AttributionState.COMPLETED,
            adapter=adapter.ref,
            base_model=adapter.base_model,
            fee=completion.fee,
            payer=completion.payer,
            create_time=now,
            snapshot=snapshot.name,
            method=weights.method,
            span_weight_bps=weights.span_weight_bps if weights.method is Method.COMBINED else 0,
            parameters=scores.parameters,
            threshold_bps=payouts.threshold_bps,
            contributors=_results(scores.contributors, payouts),
            fee_split=FeeSplitAmounts.of(payouts),
            negative=scores.negative,
            evidence_hash=document.evidence_hash,
            evidence_digest=document.digest.hexdigest,
            snapshot_merkle_root=snapshot.merkle_root,
            complete_time=now,
        )
        return self._scored(attribution, payouts, document)

    async def _not_attributable(self, completion: CompletionInput, owner: str | None) -> Scored:
        """Nothing to score against: the fee is still settled, the contributors' pool going to
        the protocol, and the evidence records what was (not) scored."""
        governed = await self._params.current()
        chain_id, contract = await self._chain.target()
        payouts = _split(completion.fee, (), governed, owner)
        evidence = Evidence(
            inference_id=completion.inference_id,
            chain_id=chain_id,
            rewards_contract=contract,
            base_model=completion.base_model,
            weights=None,
            parameters=ScoringParameters(scorer_version=self._config.scorer_version),
            contributors=(),
            prompt_hash=token_ids_hash(completion.prompt_ids),
            output_hash=token_ids_hash(completion.output_ids),
            adapter=completion.adapter,
            adapter_sha256=completion.adapter_sha256 if completion.adapter else b"",
        )
        document = await self._store_evidence(evidence, payouts)
        now = self._clock()
        attribution = Attribution(
            inference_id=completion.inference_id,
            state=AttributionState.NOT_ATTRIBUTABLE,
            adapter=completion.adapter,
            base_model=completion.base_model,
            fee=completion.fee,
            payer=completion.payer,
            create_time=now,
            parameters=evidence.parameters,
            threshold_bps=payouts.threshold_bps,
            fee_split=FeeSplitAmounts.of(payouts),
            evidence_hash=document.evidence_hash,
            evidence_digest=document.digest.hexdigest,
            complete_time=now,
        )
        return self._scored(attribution, payouts, document)

    def _scored(
        self, attribution: Attribution, payouts: Payouts, document: EvidenceDocument
    ) -> Scored:
        assert attribution.fee_split is not None
        settlement = Settlement(
            settlement_id=new_id(),
            inference_id=attribution.inference_id,
            state=SettlementState.PENDING,
            create_time=attribution.create_time,
            payouts=tuple((payout.address, payout.amount) for payout in payouts.contributors),
            fee_split=attribution.fee_split,
            evidence_hash=document.evidence_hash,
        )
        return Scored(attribution, settlement)

    async def _store_evidence(self, evidence: Evidence, payouts: Payouts) -> EvidenceDocument:
        document = self._evidence.encode(evidence, payouts)
        await asyncio.to_thread(self._store.put_bytes, document.data)
        return document

    async def _wait(self, read: Callable[[], T | None], reason: str, message: str) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._config.adapter_wait_seconds
        while True:
            found = await asyncio.to_thread(read)
            if found is not None:
                return found
            left = deadline - loop.time()
            if left <= 0:
                raise Unavailable(message, reason=reason, domain=_DOMAIN)
            await asyncio.sleep(min(_POLL_SECONDS, left))

    # ------------------------------------------------------------ scoring

    async def _score(
        self,
        prompt_ids: Sequence[int],
        output_ids: Sequence[int],
        snapshot: SnapshotInfo,
        adapter: AdapterInfo | None,
        loaded: LoadedIndex,
        weights: MethodWeights,
    ) -> _Scores:
        spans: SpanResult | None = None
        if weights.uses_span:
            spans = await asyncio.to_thread(
                trace_spans, output_ids, loaded.index, loaded.text, self._config.spans
            )
        gradient: GradientModel | None = None
        influence: tuple[InfluenceResult, list[float]] | None = None
        if weights.uses_gradient:
            assert adapter is not None, "choose_methods gives GRADIENT only with features"
            gradient = await self._gradients.get(adapter)
            influence = await asyncio.to_thread(_influence, gradient, prompt_ids, output_ids)
        return _scores(
            datanet_of(snapshot.name),
            len(output_ids),
            loaded,
            weights,
            spans,
            gradient,
            influence,
            self._config,
        )

    # ------------------------------------------------------------ ad-hoc text

    async def attribute_text(self, request: AdHocRequest) -> AdHocResult:
        """Score ``request.text`` as a completion would be scored; nothing is stored."""
        request.validate()
        snapshot = await asyncio.to_thread(self._repository.get_snapshot, request.snapshot)
        if snapshot is None:
            raise NotFound(f"snapshot {request.snapshot} not found", domain=_DOMAIN)
        adapter: AdapterInfo | None = None
        if request.adapter:
            adapter = await asyncio.to_thread(self._repository.get_adapter, request.adapter)
            if adapter is None:
                raise NotFound(f"adapter {request.adapter} not found", domain=_DOMAIN)
            if adapter.snapshot != snapshot.name:
                raise FailedPrecondition(
                    f"adapter {adapter.ref} was not trained on {snapshot.name}",
                    reason=ADAPTER_NOT_TRAINED_ON_SNAPSHOT,
                    domain=_DOMAIN,
                )
        base_model = (
            adapter.base_model if adapter is not None else await self._index_model(snapshot)
        )
        info = await self._base_models.info(base_model)
        weights = choose_methods(
            info.parameter_count,
            adapter is not None and adapter.has_features,
            self._config.policy,
            requested=request.method,
        )
        # An ad-hoc call never builds an index: building is the workers' (minutes, not a
        # request's time).
        loaded = await self._indexes.get(snapshot, base_model, build=False)
        output_ids = loaded.encode(request.text)
        if not output_ids:
            raise InvalidArgument("text", "has no tokens")
        prompt_ids = loaded.encode(request.prompt) if request.prompt else []
        scores = await self._score(prompt_ids, output_ids, snapshot, adapter, loaded, weights)
        governed = await self._params.current()
        payouts = _split(
            request.fee or 0,
            scores.contributors,
            governed,
            adapter.owner if adapter is not None else None,
        )
        explanation = None
        if request.explain is not None:
            explanation = await asyncio.to_thread(
                explain,
                inference_id="",
                output_ids=output_ids,
                snapshot=snapshot.name,
                method=weights.method,
                spans=scores.spans,
                examples=scores.examples,
                gradient_available=scores.gradient is not None,
                loaded=loaded,
                limits=request.explain,
            )
        return AdHocResult(
            weights=weights,
            parameters=scores.parameters,
            threshold_bps=payouts.threshold_bps,
            snapshot_merkle_root=snapshot.merkle_root,
            contributors=_results(scores.contributors, payouts),
            fee_split=FeeSplitAmounts.of(payouts) if request.fee is not None else None,
            explanation=explanation,
        )

    async def _index_model(self, snapshot: SnapshotInfo) -> str:
        """Without an adapter, the base model whose tokenizer built the snapshot's index (the
        earliest built, so the choice is stable as other base models' indexes appear)."""

        def built() -> list[IndexRecord]:
            models = {a.base_model for a in self._repository.adapters_on_snapshot(snapshot.name)}
            records = (self._repository.get_index(snapshot.name, model) for model in models)
            return [record for record in records if record is not None]

        records = await asyncio.to_thread(built)
        if not records:
            raise FailedPrecondition(
                f"snapshot {snapshot.name} has no span index yet",
                reason=INDEX_MISSING,
                domain=_DOMAIN,
            )
        return min(records, key=lambda r: (r.build_time, r.base_model)).base_model

    # ------------------------------------------------------------ explanations

    async def explain(self, inference_id: str, limits: ExplainLimits) -> Explanation:
        """Why completion ``inference_id`` was attributed as it was."""
        try:
            inference_id = str(uuid.UUID(inference_id))
        except ValueError:
            raise InvalidArgument("inference_id", f"not a UUID: {inference_id!r}") from None
        completion = await asyncio.to_thread(self._repository.get_completion, inference_id)
        attribution = await asyncio.to_thread(self._repository.get_attribution, inference_id)
        if completion is None or attribution is None:
            raise NotFound(f"inference {inference_id} not found", domain=_DOMAIN)
        if attribution.state is not AttributionState.COMPLETED:
            raise FailedPrecondition(
                f"attribution of {inference_id} is {attribution.state}, not COMPLETED",
                reason=f"ATTRIBUTION_{attribution.state}",
                domain=_DOMAIN,
            )
        data = await asyncio.to_thread(
            self._store.get_bytes, Digest(attribution.evidence_digest), verify=True
        )
        evidence = self._evidence.decode(data)
        snapshot = await asyncio.to_thread(self._repository.get_snapshot, attribution.snapshot)
        if snapshot is None or evidence.method is None:
            raise FailedPrecondition(
                f"attribution of {inference_id} has no snapshot to explain against",
                reason="SNAPSHOT_UNKNOWN",
                domain=_DOMAIN,
            )
        loaded = await self._indexes.get(snapshot, attribution.base_model, build=True)
        return await asyncio.to_thread(
            explain,
            inference_id=inference_id,
            output_ids=completion.output_ids,
            snapshot=snapshot.name,
            method=evidence.method,
            spans=evidence.spans,
            examples=evidence.examples,
            gradient_available=bool(evidence.gradient_features_sha256),
            loaded=loaded,
            limits=limits,
        )


# ---------------------------------------------------------------- scoring, pure parts


def _influence(
    gradient: GradientModel, prompt_ids: Sequence[int], output_ids: Sequence[int]
) -> tuple[InfluenceResult, list[float]]:
    """The completion's influence result and every training example's score (row order of
    the features)."""
    with torch.no_grad():
        query = gradient.queries.features([Completion(tuple(prompt_ids), tuple(output_ids))])
    result = gradient.scorer.score(query)[0]
    return result, gradient.scorer.example_scores(query)[0].to(torch.float64).tolist()


def _scores(
    datanet: str,
    output_length: int,
    loaded: LoadedIndex,
    weights: MethodWeights,
    spans: SpanResult | None,
    gradient: GradientModel | None,
    influence: tuple[InfluenceResult, list[float]] | None,
    config: ScoringConfig,
) -> _Scores:
    documents = loaded.index.documents
    records: dict[str, set[str]] = {}

    scored_spans: list[ScoredSpan] = []
    span_scores: dict[str, float] = {}
    for span in spans.spans if spans is not None else ():
        part = span.weight / len(span.occurrences)
        for occurrence in span.occurrences:
            records.setdefault(checksummed(occurrence.contributor, "contributor"), set()).add(
                occurrence.record_id
            )
        scored_spans.append(
            ScoredSpan(
                output_token_start=span.start,
                output_token_end=span.end,
                occurrence_count=span.count,
                rarity=span.rarity,
                records=tuple(
                    ScoredRecord(
                        datanet,
                        o.record_id,
                        o.contributor,
                        documents[o.document].content_hash,
                        part,
                    )
                    for o in span.occurrences
                ),
            )
        )
    if spans is not None:
        span_scores = _by_address(spans.scores)

    examples: list[ScoredRecord] = []
    gradient_scores: dict[str, float] = {}
    negative_records: dict[str, list[tuple[float, str]]] = {}
    strongly_negative: dict[str, float] = {}
    if gradient is not None and influence is not None:
        result, example_scores = influence
        gradient_scores = _by_address(result.contributor_scores)
        strongly_negative = _by_address(result.negative)
        rows = gradient.features.snapshot_indexes.tolist()
        for row, score in zip(rows, example_scores, strict=True):
            if score < 0:
                address = checksummed(documents[row].contributor, "contributor")
                negative_records.setdefault(address, []).append((score, documents[row].record_id))
        # The most influential by |score|; ties go to the lower snapshot index.
        ranked = sorted(range(len(rows)), key=lambda i: (-abs(example_scores[i]), rows[i]))
        for i in ranked[: config.max_examples]:
            document = documents[rows[i]]
            address = checksummed(document.contributor, "contributor")
            records.setdefault(address, set()).add(document.record_id)
            examples.append(
                ScoredRecord(
                    datanet, document.record_id, address, document.content_hash, example_scores[i]
                )
            )

    final = combine(span_scores, gradient_scores, weights)
    contributors = tuple(
        ContributorScore(
            address=address,
            span_score=span_scores.get(address, 0.0),
            gradient_score=gradient_scores.get(address, 0.0),
            score=score,
            record_count=len(records.get(address, ())),
        )
        for address, score in sorted(final.items(), key=lambda item: address_order(item[0]))
    )
    negative = tuple(
        NegativeInfluence(
            address=c.address,
            score=c.score,
            contributions=tuple(
                f"{datanet}/contributions/{record_id}"
                for _, record_id in sorted(negative_records.get(c.address, []))
            ),
        )
        for c in sorted(contributors, key=lambda c: (c.score, address_order(c.address)))
        # A slightly negative sum is noise; only a markedly harmful one goes to the penalty path.
        if c.score < 0 and c.address in strongly_negative
    )
    return _Scores(
        weights=weights,
        parameters=_parameters(weights, output_length, gradient, config),
        contributors=contributors,
        spans=tuple(scored_spans),
        examples=tuple(examples),
        negative=negative,
        gradient=gradient,
    )


def _parameters(
    weights: MethodWeights,
    output_length: int,
    gradient: GradientModel | None,
    config: ScoringConfig,
) -> ScoringParameters:
    """What was used; a method's fields stay 0 when it was not."""
    parameters = ScoringParameters(scorer_version=config.scorer_version)
    if weights.uses_span:
        spans = config.spans
        parameters = replace(
            parameters,
            min_span_tokens=spans.min_tokens,
            max_span_occurrences=spans.max_count,
            max_spans=math.ceil(spans.keep_fraction * output_length),
        )
    if gradient is not None:
        parameters = replace(
            parameters,
            projection_dim=gradient.features.projection_dim,
            projection_seed=gradient.features.projection_seed,
            damping=gradient.scorer.params.damping,
            max_examples=config.max_examples,
        )
    return parameters


def _by_address(scores: Mapping[str, float]) -> dict[str, float]:
    """Scores keyed by EIP-55 address (the index and the features may spell them in any
    case), summed where two spellings meet."""
    merged: dict[str, float] = {}
    for raw, score in scores.items():
        address = checksummed(raw, "contributor")
        merged[address] = merged.get(address, 0.0) + score
    return merged


def _split(
    fee: int,
    contributors: Sequence[ContributorScore],
    governed: GovernedParams,
    owner: str | None,
) -> Payouts:
    return split_fee(
        fee,
        scores_e9(contributors),
        threshold_bps=governed.threshold_bps,
        split=governed.split,
        owner=owner,
        treasury=governed.treasury,
    )


def _results(
    contributors: Sequence[ContributorScore], payouts: Payouts
) -> tuple[ContributorResult, ...]:
    """Each contributor's scores with its share and amount, from the fixed-point scores the
    payouts were computed from (so shares agree with the amounts a verifier recomputes)."""
    shares = {share.address: share for share in payouts.shares}
    positive = sum(share.score_e9 for share in payouts.shares if share.score_e9 > 0)
    eligible = sum(share.score_e9 for share in payouts.shares if share.eligible)
    results = []
    for contributor in contributors:
        share = shares.get(contributor.address)
        if share is None:
            # Its score rounds to 0 in fixed point: nothing to show or pay.
            continue
        results.append(
            ContributorResult(
                address=contributor.address,
                score=share.score_e9 / 1e9,
                span_score=contributor.span_score,
                gradient_score=contributor.gradient_score,
                raw_share=max(share.score_e9, 0) / positive if positive else 0.0,
                eligible=share.eligible,
                share=share.score_e9 / eligible if share.eligible else 0.0,
                amount=share.amount,
                record_count=contributor.record_count,
            )
        )
    results.sort(key=lambda r: (-r.score, address_order(r.address)))
    return tuple(results)


def _sha256_bytes(digest: str) -> bytes:
    """The 32 bytes of an object-store digest, written bare or as ``sha256:<hex>``."""
    return bytes.fromhex(digest.removeprefix("sha256:"))
