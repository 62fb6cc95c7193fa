"""The curation pipeline: ``Curator`` decides, ``DatanetIndex`` remembers what was accepted.

``Curator.curate_batch`` runs the proto's steps in order (``CurationPolicy`` in
``protos/openledger/datanet/v1/curation.proto``) and records every failed check:

1. schema (a failure skips the rest);
2. normalisation (NFC, LF line ends, trimmed strings);
3. PII in every string value, redacted into the curated content or rejected per policy;
4. the text: the strings at ``text_field_paths`` of the curated content, joined with "\\n";
5. exact dedupe on sha256 of the curated content's canonical JSON;
6. length, repetition, symbols, quality and language;
7. near dedupe (MinHash/LSH) and, when enabled, semantic dedupe (embeddings), skipped for an
   exact duplicate (which is reported with similarity 1 to the record it repeats);
8. adversarial detectors on the normalised (unredacted) text, when enabled.

PII runs before the text checks, rather than after as listed in the proto, so that dedupe and
the exact key see the content as it will be stored: two records that differ only in an
e-mail address are duplicates once both are redacted. The decision is the same either way,
since every failed check is recorded.

The index holds only ACCEPTED contributions. It is state derived from storage: after a
restart, or when a datanet's policy revision changes (the n-gram size or thresholds shape
the LSH), rebuild it with ``DatanetIndex.restore`` from the stored keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .adversarial import ADVERSARIAL_THRESHOLD, adversarial_score
from .dedupe import (
    NearDuplicateIndex,
    Signature,
    exact_key,
    signature_from_bytes,
    signature_to_bytes,
    text_signature,
)
from .normalize import escape_token, extract_text, iter_strings, normalize_content
from .outcome import Metrics, Outcome, Redaction, Rejection
from .pii import count_by_type, detect, redact
from .policy import PiiAction, PiiType, Policy, Reason
from .quality import TextStats, measure
from .schema import RecordSchema
from .semantic import Embedder, EmbeddingIndex, embedding_from_bytes, embedding_to_bytes

IndexRow = tuple[str, bytes, bytes, bytes | None]
"""``(contribution_id, exact_key, minhash, embedding)`` as storage keeps them."""


@dataclass(frozen=True)
class _Prepared:
    """A schema-valid contribution after normalisation and PII handling."""

    normalized_text: str
    text: str
    curated: dict[str, object]
    pii_rejections: tuple[Rejection, ...]
    redactions: tuple[Redaction, ...]
    pii_types: frozenset[PiiType]


class DatanetIndex:
    """One datanet's dedupe state: exact keys, MinHash LSH and (optionally) embeddings of its
    ACCEPTED contributions. Not thread-safe; one worker owns one datanet's index."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._exact: dict[bytes, str] = {}
        self._ids: set[str] = set()
        self._near = (
            NearDuplicateIndex(policy.near_duplicate_threshold)
            if policy.near_duplicate_threshold > 0
            else None
        )
        self._semantic = EmbeddingIndex()

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, contribution_id: object) -> bool:
        return contribution_id in self._ids

    def add(
        self,
        contribution_id: str,
        outcome: Outcome,
        embedding: npt.ArrayLike | None = None,
    ) -> None:
        """Remember an ACCEPTED contribution (others are ignored, as is a repeated id).
        ``embedding`` defaults to ``outcome.embedding``."""
        if not outcome.accepted:
            return
        vector = embedding if embedding is not None else outcome.embedding or None
        self._add(contribution_id, outcome.exact_key, outcome.minhash, vector)

    @classmethod
    def restore(cls, policy: Policy, rows: Iterable[IndexRow]) -> DatanetIndex:
        """Rebuild from storage rows of ACCEPTED contributions, in acceptance order."""
        index = cls(policy)
        for contribution_id, key, minhash, embedding in rows:
            index._add(contribution_id, key, minhash, embedding)
        return index

    def _add(
        self,
        contribution_id: str,
        key: bytes,
        minhash: bytes,
        embedding: npt.ArrayLike | bytes | None,
    ) -> None:
        if contribution_id in self._ids:
            return
        self._ids.add(contribution_id)
        if key:
            self._exact.setdefault(key, contribution_id)
        if self._near is not None and minhash:
            self._near.add(contribution_id, signature_from_bytes(minhash))
        if isinstance(embedding, bytes):
            if embedding:
                self._semantic.add(contribution_id, embedding_from_bytes(embedding))
        elif embedding is not None:
            self._semantic.add(contribution_id, embedding)

    def exact_match(self, key: bytes) -> str | None:
        """The accepted contribution whose curated content has this exact key."""
        return self._exact.get(key)

    def near_match(self, values: Signature) -> tuple[str, float] | None:
        """The most similar accepted text among the LSH candidates, with its similarity."""
        return self._near.best_match(values) if self._near is not None else None

    def semantic_match(self, vector: npt.ArrayLike) -> tuple[str, float] | None:
        """The accepted text with the most similar embedding, with its cosine similarity."""
        return self._semantic.best_match(vector)


def _best(*matches: tuple[str, float] | None) -> tuple[str, float] | None:
    found = [match for match in matches if match is not None]
    return max(found, key=lambda match: match[1]) if found else None


def _replace_strings(value: object, pointer: str, replacements: Mapping[str, str]) -> object:
    if isinstance(value, str):
        return replacements.get(pointer, value)
    if isinstance(value, Mapping):
        return {
            key: _replace_strings(item, f"{pointer}/{escape_token(key)}", replacements)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [
            _replace_strings(item, f"{pointer}/{index}", replacements)
            for index, item in enumerate(value)
        ]
    return value


def _schema_outcome(rejections: list[Rejection]) -> Outcome:
    return Outcome(
        accepted=False,
        rejections=tuple(rejections),
        curated={},
        redactions=(),
        metrics=Metrics(),
        exact_key=b"",
        minhash=b"",
    )


class Curator:
    """Applies one datanet's policy and record schema to contributions."""

    def __init__(
        self,
        policy: Policy,
        schema: Mapping[str, object],
        embedder: Embedder | None = None,
    ) -> None:
        policy.validate()
        if policy.semantic_dedupe_enabled and embedder is None:
            raise ValueError("the policy enables semantic dedupe but no embedder was given")
        self.policy = policy
        self.embedder = embedder if policy.semantic_dedupe_enabled else None
        self._schema = RecordSchema(schema)
        self._pii_types = policy.effective_pii_types

    def curate(
        self, contribution_id: str, content: Mapping[str, object], index: DatanetIndex
    ) -> Outcome:
        """Decide one contribution against ``index`` (which is not changed)."""
        return self.curate_batch([(contribution_id, content)], index)[0]

    def curate_batch(
        self,
        items: Sequence[tuple[str, Mapping[str, object]]],
        index: DatanetIndex,
    ) -> list[Outcome]:
        """Decide ``items`` in order against ``index`` and against the items of the batch
        accepted before each one (so duplicates within the batch are caught; ``duplicate_of``
        then names the earlier item). ``index`` is not changed: the caller adds the accepted
        outcomes in order once they are committed. Embeddings are computed in one call."""
        local = DatanetIndex(self.policy)
        prepared = [self._prepare(content) for _, content in items]
        vectors = self._embed([entry.text for entry in prepared if isinstance(entry, _Prepared)])
        outcomes: list[Outcome] = []
        position = 0
        for (contribution_id, _), entry in zip(items, prepared, strict=True):
            if not isinstance(entry, _Prepared):
                outcomes.append(_schema_outcome(entry))
                continue
            vector = vectors[position] if vectors is not None else None
            position += 1
            outcome = self._decide(entry, vector, index, local)
            local.add(contribution_id, outcome)
            outcomes.append(outcome)
        return outcomes

    # -- steps -----------------------------------------------------------------------------

    def _prepare(self, content: Mapping[str, object]) -> _Prepared | list[Rejection]:
        schema_rejections = self._schema.validate(content)
        if schema_rejections:
            return schema_rejections
        normalized = normalize_content(content)
        rejections: list[Rejection] = []
        redactions: list[Redaction] = []
        replacements: dict[str, str] = {}
        found_types: set[PiiType] = set()
        for pointer, value in iter_strings(normalized):
            findings = detect(value, self._pii_types)
            if not findings:
                continue
            counts = count_by_type(findings)
            found_types.update(counts)
            if self.policy.pii_action is PiiAction.REJECT:
                kinds = ", ".join(f"{kind.value} x{n}" for kind, n in sorted(counts.items()))
                rejections.append(
                    Rejection(
                        Reason.PII_DETECTED,
                        f"PII found: {kinds}",
                        field_path=pointer,
                        observed=float(sum(counts.values())),
                    )
                )
            else:
                replacements[pointer] = redact(value, findings)
                redactions.extend(
                    Redaction(pointer, kind, n, kind.placeholder)
                    for kind, n in sorted(counts.items())
                )
        curated = normalized
        if replacements:
            replaced = _replace_strings(normalized, "", replacements)
            assert isinstance(replaced, dict)
            curated = replaced
        paths = self.policy.text_field_paths
        return _Prepared(
            normalized_text=extract_text(normalized, paths),
            text=extract_text(curated, paths),
            curated=curated,
            pii_rejections=tuple(rejections),
            redactions=tuple(redactions),
            pii_types=frozenset(found_types),
        )

    def _embed(self, texts: list[str]) -> npt.NDArray[np.floating] | None:
        if self.embedder is None or not texts:
            return None
        vectors = np.asarray(self.embedder.embed(texts))
        if vectors.shape[0] != len(texts):
            raise ValueError(f"embedder returned {vectors.shape[0]} rows for {len(texts)} texts")
        return vectors

    def _decide(
        self,
        entry: _Prepared,
        vector: npt.NDArray[np.floating] | None,
        index: DatanetIndex,
        local: DatanetIndex,
    ) -> Outcome:
        policy = self.policy
        text = entry.text
        rejections: list[Rejection] = list(entry.pii_rejections)

        key = exact_key(entry.curated)
        duplicate_of = index.exact_match(key) or local.exact_match(key)
        if duplicate_of is not None:
            rejections.append(
                Rejection(
                    Reason.EXACT_DUPLICATE,
                    "same curated content as an accepted contribution",
                    observed=1.0,
                    limit=1.0,
                    duplicate_of=duplicate_of,
                )
            )

        stats = measure(text, policy.effective_ngram_size)
        rejections.extend(self._quality_rejections(stats))

        values = text_signature(text, policy.effective_ngram_size)
        near: tuple[str, float] | None = None
        semantic: tuple[str, float] | None = None
        if duplicate_of is not None:
            near = (duplicate_of, 1.0)
        else:
            if policy.near_duplicate_threshold > 0 and values is not None:
                near = _best(index.near_match(values), local.near_match(values))
                if near is not None and near[1] >= policy.near_duplicate_threshold:
                    rejections.append(
                        Rejection(
                            Reason.NEAR_DUPLICATE,
                            f"estimated Jaccard similarity {near[1]:.3f} to an accepted text",
                            observed=near[1],
                            limit=policy.near_duplicate_threshold,
                            duplicate_of=near[0],
                        )
                    )
            if vector is not None:
                semantic = _best(index.semantic_match(vector), local.semantic_match(vector))
                threshold = policy.semantic_duplicate_threshold
                if semantic is not None and semantic[1] >= threshold:
                    rejections.append(
                        Rejection(
                            Reason.SEMANTIC_DUPLICATE,
                            f"embedding cosine similarity {semantic[1]:.3f} to an accepted text",
                            observed=semantic[1],
                            limit=threshold,
                            duplicate_of=semantic[0],
                        )
                    )

        adversarial = 0.0
        if policy.adversarial_check_enabled:
            finding = adversarial_score(entry.normalized_text)
            adversarial = finding.score
            if finding.flagged:
                rejections.append(
                    Rejection(
                        Reason.ADVERSARIAL,
                        "adversarial content: " + ", ".join(finding.detectors),
                        observed=finding.score,
                        limit=ADVERSARIAL_THRESHOLD,
                    )
                )

        most_similar = _best(near, semantic)
        metrics = Metrics(
            language=stats.language,
            language_confidence=stats.language_confidence,
            length_chars=stats.length_chars,
            repetition_ratio=stats.repetition_ratio,
            symbol_ratio=stats.symbol_ratio,
            quality_score=stats.quality_score,
            max_near_duplicate_similarity=near[1] if near else 0.0,
            max_semantic_similarity=semantic[1] if semantic else 0.0,
            most_similar=most_similar[0] if most_similar else "",
            adversarial_score=adversarial,
        )
        return Outcome(
            accepted=not rejections,
            rejections=tuple(rejections),
            curated=entry.curated,
            redactions=entry.redactions,
            metrics=metrics,
            exact_key=key,
            minhash=signature_to_bytes(values) if values is not None else b"",
            embedding=embedding_to_bytes(vector) if vector is not None else b"",
            pii_types=entry.pii_types,
        )

    def _quality_rejections(self, stats: TextStats) -> list[Rejection]:
        policy = self.policy
        found: list[Rejection] = []
        length = float(stats.length_chars)
        if policy.min_length_chars and stats.length_chars < policy.min_length_chars:
            found.append(
                Rejection(
                    Reason.TOO_SHORT,
                    f"length {stats.length_chars} < min {policy.min_length_chars}",
                    observed=length,
                    limit=policy.min_length_chars,
                )
            )
        if policy.max_length_chars and stats.length_chars > policy.max_length_chars:
            found.append(
                Rejection(
                    Reason.TOO_LONG,
                    f"length {stats.length_chars} > max {policy.max_length_chars}",
                    observed=length,
                    limit=policy.max_length_chars,
                )
            )
        if policy.max_repetition_ratio and stats.repetition_ratio > policy.max_repetition_ratio:
            found.append(
                Rejection(
                    Reason.EXCESSIVE_REPETITION,
                    f"repetition ratio {stats.repetition_ratio:.3f} > "
                    f"max {policy.max_repetition_ratio}",
                    observed=stats.repetition_ratio,
                    limit=policy.max_repetition_ratio,
                )
            )
        if policy.max_symbol_ratio and stats.symbol_ratio > policy.max_symbol_ratio:
            found.append(
                Rejection(
                    Reason.EXCESSIVE_SYMBOLS,
                    f"symbol ratio {stats.symbol_ratio:.3f} > max {policy.max_symbol_ratio}",
                    observed=stats.symbol_ratio,
                    limit=policy.max_symbol_ratio,
                )
            )
        if policy.min_quality_score and stats.quality_score < policy.min_quality_score:
            found.append(
                Rejection(
                    Reason.LOW_QUALITY,
                    f"quality score {stats.quality_score:.3f} < min {policy.min_quality_score}",
                    observed=stats.quality_score,
                    limit=policy.min_quality_score,
                )
            )
        if policy.allowed_languages and stats.language not in policy.allowed_languages:
            detected = stats.language or "undetermined"
            found.append(
                Rejection(
                    Reason.LANGUAGE_NOT_ALLOWED,
                    f"language {detected} (confidence {stats.language_confidence:.2f}) not in "
                    + ", ".join(policy.allowed_languages),
                    observed=stats.language_confidence,
                )
            )
        return found
