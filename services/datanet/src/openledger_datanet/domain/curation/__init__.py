"""Curation of datanet contributions: schema, normalisation, dedupe, quality, PII, adversarial
checks (pure Python: no gRPC, no Redis, no database).

``Curator`` decides; ``DatanetIndex`` holds a datanet's accepted keys; ``Policy`` mirrors the
proto's ``CurationPolicy``; ``should_slash`` and ``reputation`` are the contributor rules.
"""

from .adversarial import (
    ADVERSARIAL_THRESHOLD,
    AdversarialFinding,
    ReputationTracker,
    WindowStats,
    adversarial_score,
    flooding_score,
    is_counted,
    reputation,
    should_slash,
    update_reputation,
    window_stats,
)
from .outcome import Metrics, Outcome, Redaction, Rejection
from .pipeline import Curator, DatanetIndex, IndexRow
from .policy import DUPLICATE_REASONS, PiiAction, PiiType, Policy, Reason
from .schema import RecordSchema, check_schema
from .semantic import Embedder, HashingEmbedder, embedding_from_bytes, embedding_to_bytes

__all__ = [
    "ADVERSARIAL_THRESHOLD",
    "DUPLICATE_REASONS",
    "AdversarialFinding",
    "Curator",
    "DatanetIndex",
    "Embedder",
    "HashingEmbedder",
    "IndexRow",
    "Metrics",
    "Outcome",
    "PiiAction",
    "PiiType",
    "Policy",
    "Reason",
    "RecordSchema",
    "Redaction",
    "Rejection",
    "ReputationTracker",
    "WindowStats",
    "adversarial_score",
    "check_schema",
    "embedding_from_bytes",
    "embedding_to_bytes",
    "flooding_score",
    "is_counted",
    "reputation",
    "should_slash",
    "update_reputation",
    "window_stats",
]
