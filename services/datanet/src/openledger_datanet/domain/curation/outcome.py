"""What curation decides about one contribution: the proto's rejection, redaction and metrics
messages as frozen dataclasses, and the ``Outcome`` that carries them with the dedupe keys."""

from __future__ import annotations

from dataclasses import dataclass, field

from .policy import PiiType, Reason


@dataclass(frozen=True)
class Rejection:
    """One failed check (proto ``ContributionRejection``).

    ``duplicate_of`` is the contribution id the duplicate was found against, as given to
    ``DatanetIndex.add`` (or to ``Curator.curate_batch`` for a duplicate within the batch).
    """

    reason: Reason
    detail: str
    field_path: str = ""
    observed: float = 0.0
    limit: float = 0.0
    duplicate_of: str = ""


@dataclass(frozen=True)
class Redaction:
    """PII replaced in one string value (proto ``PiiRedaction``)."""

    field_path: str
    pii_type: PiiType
    count: int
    replacement: str


@dataclass(frozen=True)
class Metrics:
    """The measurements curation took (proto ``CurationMetrics``); 0 or "" where a check did
    not run. ``most_similar`` is a contribution id like ``Rejection.duplicate_of``."""

    language: str = ""
    language_confidence: float = 0.0
    length_chars: int = 0
    repetition_ratio: float = 0.0
    symbol_ratio: float = 0.0
    quality_score: float = 0.0
    max_near_duplicate_similarity: float = 0.0
    max_semantic_similarity: float = 0.0
    most_similar: str = ""
    adversarial_score: float = 0.0


@dataclass(frozen=True)
class Outcome:
    """Curation's decision on one contribution.

    ``curated`` is the normalised and (under ``PiiAction.REDACT``) redacted content; empty
    when the schema check failed. ``exact_key`` is sha256 of the canonical JSON (RFC 8785) of
    ``curated``; ``minhash`` the serialised MinHash signature of its text and ``embedding`` its
    serialised embedding (float32, little-endian; empty unless semantic dedupe ran): the three
    are what storage keeps so that ``DatanetIndex.restore`` can rebuild the index.
    """

    accepted: bool
    rejections: tuple[Rejection, ...]
    curated: dict[str, object]
    redactions: tuple[Redaction, ...]
    metrics: Metrics
    exact_key: bytes
    minhash: bytes
    embedding: bytes = b""
    pii_types: frozenset[PiiType] = field(default_factory=frozenset)

    @property
    def reasons(self) -> frozenset[Reason]:
        """The distinct rejection reasons."""
        return frozenset(rejection.reason for rejection in self.rejections)
