"""The curation policy: a frozen mirror of ``openledger.datanet.v1.CurationPolicy``.

Field names and meanings are the proto's (``protos/openledger/datanet/v1/curation.proto``); the
enums carry the proto value names without their prefix (``REJECTION_REASON_NEAR_DUPLICATE`` is
``Reason.NEAR_DUPLICATE``), so the API layer maps them by name. Zero means "check disabled" or
"server default" exactly where the proto says so; the ``effective_*`` properties resolve those
defaults in one place.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from enum import StrEnum

from openledger_kit.errors import InvalidArgument

DOMAIN = "openledger.datanet"

DEFAULT_NGRAM_SIZE = 3
DEFAULT_SLASH_WINDOW_SIZE = 100
MAX_TEXT_FIELD_PATHS = 32
MAX_ALLOWED_LANGUAGES = 64
MAX_NGRAM_SIZE = 16
MAX_SLASH_WINDOW_SIZE = 100_000

_LANGUAGE = re.compile(r"^[a-z]{2}$")
_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")
# RFC 6901: a pointer is "" or a sequence of "/" + token, where "~" only appears as "~0" or "~1".
_POINTER = re.compile(r"^(/([^~/]|~[01])*)+$")


class PiiAction(StrEnum):
    """What curation does with detected PII (proto ``PiiAction``)."""

    REDACT = "REDACT"
    REJECT = "REJECT"


class PiiType(StrEnum):
    """A kind of PII or secret (proto ``PiiType``); the value names the redaction placeholder."""

    EMAIL_ADDRESS = "EMAIL_ADDRESS"
    PHONE_NUMBER = "PHONE_NUMBER"
    PERSON_NAME = "PERSON_NAME"
    POSTAL_ADDRESS = "POSTAL_ADDRESS"
    GOVERNMENT_ID = "GOVERNMENT_ID"
    PAYMENT_CARD = "PAYMENT_CARD"
    IP_ADDRESS = "IP_ADDRESS"
    CREDENTIAL = "CREDENTIAL"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"

    @property
    def placeholder(self) -> str:
        """The text that replaces a redacted span, e.g. ``[EMAIL_ADDRESS]``."""
        return f"[{self.value}]"


class Reason(StrEnum):
    """Why a contribution was rejected (proto ``RejectionReason``)."""

    SCHEMA_INVALID = "SCHEMA_INVALID"
    EXACT_DUPLICATE = "EXACT_DUPLICATE"
    NEAR_DUPLICATE = "NEAR_DUPLICATE"
    SEMANTIC_DUPLICATE = "SEMANTIC_DUPLICATE"
    TOO_SHORT = "TOO_SHORT"
    TOO_LONG = "TOO_LONG"
    EXCESSIVE_REPETITION = "EXCESSIVE_REPETITION"
    EXCESSIVE_SYMBOLS = "EXCESSIVE_SYMBOLS"
    LOW_QUALITY = "LOW_QUALITY"
    LANGUAGE_NOT_ALLOWED = "LANGUAGE_NOT_ALLOWED"
    PII_DETECTED = "PII_DETECTED"
    ADVERSARIAL = "ADVERSARIAL"


DUPLICATE_REASONS = frozenset(
    {Reason.EXACT_DUPLICATE, Reason.NEAR_DUPLICATE, Reason.SEMANTIC_DUPLICATE}
)
"""Excluded from slashing by default: honest contributors collide on popular content."""


@dataclass(frozen=True)
class Policy:
    """A datanet's curation checks and slashing rule; see ``CurationPolicy`` in the proto."""

    text_field_paths: tuple[str, ...] = ()
    min_length_chars: int = 0
    max_length_chars: int = 0
    near_duplicate_threshold: float = 0.0
    near_duplicate_ngram_size: int = 0
    semantic_dedupe_enabled: bool = False
    semantic_duplicate_threshold: float = 0.0
    max_repetition_ratio: float = 0.0
    max_symbol_ratio: float = 0.0
    min_quality_score: float = 0.0
    allowed_languages: tuple[str, ...] = ()
    pii_action: PiiAction = PiiAction.REDACT
    pii_types: tuple[PiiType, ...] = ()
    adversarial_check_enabled: bool = False
    slash_rejection_rate: float = 0.0
    slash_window_size: int = 0
    slash_amount: str = ""
    slash_counted_reasons: tuple[Reason, ...] = ()

    @classmethod
    def default(cls) -> Policy:
        """Sensible settings for a text datanet of short English-or-other records.

        The limits sit well outside what ordinary prose measures (repetition ratio ~0, symbol
        ratio 0.02-0.08, quality score > 0.7 on the synthetic corpus) and well inside what the
        junk it targets measures; ``tests/domain/curation/test_corpus.py`` measures both sides.
        """
        return cls(
            min_length_chars=30,
            max_length_chars=20_000,
            near_duplicate_threshold=0.8,
            near_duplicate_ngram_size=DEFAULT_NGRAM_SIZE,
            semantic_dedupe_enabled=False,
            semantic_duplicate_threshold=0.95,
            max_repetition_ratio=0.3,
            max_symbol_ratio=0.25,
            min_quality_score=0.4,
            pii_action=PiiAction.REDACT,
            adversarial_check_enabled=True,
            slash_rejection_rate=0.5,
            slash_window_size=DEFAULT_SLASH_WINDOW_SIZE,
            slash_amount="0",
        )

    # Defaults the proto leaves to the server, resolved once here.

    @property
    def effective_ngram_size(self) -> int:
        """Word n-gram size for near dedupe and the repetition ratio (0 means 3)."""
        return self.near_duplicate_ngram_size or DEFAULT_NGRAM_SIZE

    @property
    def effective_slash_window_size(self) -> int:
        """Curated contributions in the slashing window (0 means 100)."""
        return self.slash_window_size or DEFAULT_SLASH_WINDOW_SIZE

    @property
    def effective_pii_types(self) -> frozenset[PiiType]:
        """PII kinds to detect (empty means all)."""
        return frozenset(self.pii_types) if self.pii_types else frozenset(PiiType)

    @property
    def effective_counted_reasons(self) -> frozenset[Reason]:
        """Reasons counted toward slashing (empty means all but the duplicate reasons)."""
        if self.slash_counted_reasons:
            return frozenset(self.slash_counted_reasons)
        return frozenset(Reason) - DUPLICATE_REASONS

    @property
    def slash_amount_wei(self) -> int:
        """``slash_amount`` as an integer (empty means 0)."""
        return int(self.slash_amount or "0")

    def validate(self, prefix: str = "curation_policy", stake_required: int | None = None) -> None:
        """Raise ``InvalidArgument`` naming the first invalid field as ``prefix.field``.

        ``stake_required`` (wei), when given, bounds ``slash_amount`` as the proto requires.
        """

        def bad(name: str, message: str) -> InvalidArgument:
            return InvalidArgument(
                f"{prefix}.{name}" if prefix else name,
                message,
                reason="CURATION_POLICY_INVALID",
                domain=DOMAIN,
            )

        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise bad(f.name, "must be a finite number")
        if len(self.text_field_paths) > MAX_TEXT_FIELD_PATHS:
            raise bad("text_field_paths", f"at most {MAX_TEXT_FIELD_PATHS} paths")
        for path in self.text_field_paths:
            if not _POINTER.match(path):
                raise bad("text_field_paths", f"{path!r} is not an RFC 6901 JSON Pointer")
        if self.min_length_chars < 0:
            raise bad("min_length_chars", "must be >= 0")
        if self.max_length_chars < 0:
            raise bad("max_length_chars", "must be >= 0")
        if 0 < self.max_length_chars < self.min_length_chars:
            raise bad("max_length_chars", "must be 0 or >= min_length_chars")
        if not 0.0 <= self.near_duplicate_threshold <= 1.0:
            raise bad("near_duplicate_threshold", "must be in [0, 1]")
        if not 0 <= self.near_duplicate_ngram_size <= MAX_NGRAM_SIZE:
            raise bad("near_duplicate_ngram_size", f"must be in 0..{MAX_NGRAM_SIZE}")
        if not 0.0 <= self.semantic_duplicate_threshold <= 1.0:
            raise bad("semantic_duplicate_threshold", "must be in [0, 1]")
        if self.semantic_dedupe_enabled and self.semantic_duplicate_threshold == 0.0:
            raise bad("semantic_duplicate_threshold", "required when semantic dedupe is enabled")
        for name in ("max_repetition_ratio", "max_symbol_ratio", "min_quality_score"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise bad(name, "must be in [0, 1]")
        if len(self.allowed_languages) > MAX_ALLOWED_LANGUAGES:
            raise bad("allowed_languages", f"at most {MAX_ALLOWED_LANGUAGES} languages")
        for language in self.allowed_languages:
            if not _LANGUAGE.match(language):
                raise bad("allowed_languages", f"{language!r} is not a lowercase ISO 639-1 code")
        if not 0.0 <= self.slash_rejection_rate <= 1.0:
            raise bad("slash_rejection_rate", "must be in [0, 1]")
        if not 0 <= self.slash_window_size <= MAX_SLASH_WINDOW_SIZE:
            raise bad("slash_window_size", f"must be in 0..{MAX_SLASH_WINDOW_SIZE}")
        if self.slash_amount and not _DECIMAL.match(self.slash_amount):
            raise bad("slash_amount", "must be a decimal integer string (wei)")
        if stake_required is not None and self.slash_amount_wei > stake_required:
            raise bad("slash_amount", "must not exceed stake_required")
