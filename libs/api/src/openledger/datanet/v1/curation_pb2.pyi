from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PiiAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PII_ACTION_UNSPECIFIED: _ClassVar[PiiAction]
    PII_ACTION_REDACT: _ClassVar[PiiAction]
    PII_ACTION_REJECT: _ClassVar[PiiAction]

class PiiType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PII_TYPE_UNSPECIFIED: _ClassVar[PiiType]
    PII_TYPE_EMAIL_ADDRESS: _ClassVar[PiiType]
    PII_TYPE_PHONE_NUMBER: _ClassVar[PiiType]
    PII_TYPE_PERSON_NAME: _ClassVar[PiiType]
    PII_TYPE_POSTAL_ADDRESS: _ClassVar[PiiType]
    PII_TYPE_GOVERNMENT_ID: _ClassVar[PiiType]
    PII_TYPE_PAYMENT_CARD: _ClassVar[PiiType]
    PII_TYPE_IP_ADDRESS: _ClassVar[PiiType]
    PII_TYPE_CREDENTIAL: _ClassVar[PiiType]
    PII_TYPE_DATE_OF_BIRTH: _ClassVar[PiiType]

class RejectionReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REJECTION_REASON_UNSPECIFIED: _ClassVar[RejectionReason]
    REJECTION_REASON_SCHEMA_INVALID: _ClassVar[RejectionReason]
    REJECTION_REASON_EXACT_DUPLICATE: _ClassVar[RejectionReason]
    REJECTION_REASON_NEAR_DUPLICATE: _ClassVar[RejectionReason]
    REJECTION_REASON_SEMANTIC_DUPLICATE: _ClassVar[RejectionReason]
    REJECTION_REASON_TOO_SHORT: _ClassVar[RejectionReason]
    REJECTION_REASON_TOO_LONG: _ClassVar[RejectionReason]
    REJECTION_REASON_EXCESSIVE_REPETITION: _ClassVar[RejectionReason]
    REJECTION_REASON_EXCESSIVE_SYMBOLS: _ClassVar[RejectionReason]
    REJECTION_REASON_LOW_QUALITY: _ClassVar[RejectionReason]
    REJECTION_REASON_LANGUAGE_NOT_ALLOWED: _ClassVar[RejectionReason]
    REJECTION_REASON_PII_DETECTED: _ClassVar[RejectionReason]
    REJECTION_REASON_ADVERSARIAL: _ClassVar[RejectionReason]
PII_ACTION_UNSPECIFIED: PiiAction
PII_ACTION_REDACT: PiiAction
PII_ACTION_REJECT: PiiAction
PII_TYPE_UNSPECIFIED: PiiType
PII_TYPE_EMAIL_ADDRESS: PiiType
PII_TYPE_PHONE_NUMBER: PiiType
PII_TYPE_PERSON_NAME: PiiType
PII_TYPE_POSTAL_ADDRESS: PiiType
PII_TYPE_GOVERNMENT_ID: PiiType
PII_TYPE_PAYMENT_CARD: PiiType
PII_TYPE_IP_ADDRESS: PiiType
PII_TYPE_CREDENTIAL: PiiType
PII_TYPE_DATE_OF_BIRTH: PiiType
REJECTION_REASON_UNSPECIFIED: RejectionReason
REJECTION_REASON_SCHEMA_INVALID: RejectionReason
REJECTION_REASON_EXACT_DUPLICATE: RejectionReason
REJECTION_REASON_NEAR_DUPLICATE: RejectionReason
REJECTION_REASON_SEMANTIC_DUPLICATE: RejectionReason
REJECTION_REASON_TOO_SHORT: RejectionReason
REJECTION_REASON_TOO_LONG: RejectionReason
REJECTION_REASON_EXCESSIVE_REPETITION: RejectionReason
REJECTION_REASON_EXCESSIVE_SYMBOLS: RejectionReason
REJECTION_REASON_LOW_QUALITY: RejectionReason
REJECTION_REASON_LANGUAGE_NOT_ALLOWED: RejectionReason
REJECTION_REASON_PII_DETECTED: RejectionReason
REJECTION_REASON_ADVERSARIAL: RejectionReason

class CurationPolicy(_message.Message):
    __slots__ = ("text_field_paths", "min_length_chars", "max_length_chars", "near_duplicate_threshold", "near_duplicate_ngram_size", "semantic_dedupe_enabled", "semantic_duplicate_threshold", "max_repetition_ratio", "max_symbol_ratio", "min_quality_score", "allowed_languages", "pii_action", "pii_types", "adversarial_check_enabled", "slash_rejection_rate", "slash_window_size", "slash_amount", "slash_counted_reasons")
    TEXT_FIELD_PATHS_FIELD_NUMBER: _ClassVar[int]
    MIN_LENGTH_CHARS_FIELD_NUMBER: _ClassVar[int]
    MAX_LENGTH_CHARS_FIELD_NUMBER: _ClassVar[int]
    NEAR_DUPLICATE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    NEAR_DUPLICATE_NGRAM_SIZE_FIELD_NUMBER: _ClassVar[int]
    SEMANTIC_DEDUPE_ENABLED_FIELD_NUMBER: _ClassVar[int]
    SEMANTIC_DUPLICATE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    MAX_REPETITION_RATIO_FIELD_NUMBER: _ClassVar[int]
    MAX_SYMBOL_RATIO_FIELD_NUMBER: _ClassVar[int]
    MIN_QUALITY_SCORE_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    PII_ACTION_FIELD_NUMBER: _ClassVar[int]
    PII_TYPES_FIELD_NUMBER: _ClassVar[int]
    ADVERSARIAL_CHECK_ENABLED_FIELD_NUMBER: _ClassVar[int]
    SLASH_REJECTION_RATE_FIELD_NUMBER: _ClassVar[int]
    SLASH_WINDOW_SIZE_FIELD_NUMBER: _ClassVar[int]
    SLASH_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SLASH_COUNTED_REASONS_FIELD_NUMBER: _ClassVar[int]
    text_field_paths: _containers.RepeatedScalarFieldContainer[str]
    min_length_chars: int
    max_length_chars: int
    near_duplicate_threshold: float
    near_duplicate_ngram_size: int
    semantic_dedupe_enabled: bool
    semantic_duplicate_threshold: float
    max_repetition_ratio: float
    max_symbol_ratio: float
    min_quality_score: float
    allowed_languages: _containers.RepeatedScalarFieldContainer[str]
    pii_action: PiiAction
    pii_types: _containers.RepeatedScalarFieldContainer[PiiType]
    adversarial_check_enabled: bool
    slash_rejection_rate: float
    slash_window_size: int
    slash_amount: str
    slash_counted_reasons: _containers.RepeatedScalarFieldContainer[RejectionReason]
    def __init__(self, text_field_paths: _Optional[_Iterable[str]] = ..., min_length_chars: _Optional[int] = ..., max_length_chars: _Optional[int] = ..., near_duplicate_threshold: _Optional[float] = ..., near_duplicate_ngram_size: _Optional[int] = ..., semantic_dedupe_enabled: _Optional[bool] = ..., semantic_duplicate_threshold: _Optional[float] = ..., max_repetition_ratio: _Optional[float] = ..., max_symbol_ratio: _Optional[float] = ..., min_quality_score: _Optional[float] = ..., allowed_languages: _Optional[_Iterable[str]] = ..., pii_action: _Optional[_Union[PiiAction, str]] = ..., pii_types: _Optional[_Iterable[_Union[PiiType, str]]] = ..., adversarial_check_enabled: _Optional[bool] = ..., slash_rejection_rate: _Optional[float] = ..., slash_window_size: _Optional[int] = ..., slash_amount: _Optional[str] = ..., slash_counted_reasons: _Optional[_Iterable[_Union[RejectionReason, str]]] = ...) -> None: ...

class ContributionRejection(_message.Message):
    __slots__ = ("reason", "detail", "field_path", "observed_value", "limit", "duplicate_of")
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    FIELD_PATH_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_VALUE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_OF_FIELD_NUMBER: _ClassVar[int]
    reason: RejectionReason
    detail: str
    field_path: str
    observed_value: float
    limit: float
    duplicate_of: str
    def __init__(self, reason: _Optional[_Union[RejectionReason, str]] = ..., detail: _Optional[str] = ..., field_path: _Optional[str] = ..., observed_value: _Optional[float] = ..., limit: _Optional[float] = ..., duplicate_of: _Optional[str] = ...) -> None: ...

class PiiRedaction(_message.Message):
    __slots__ = ("field_path", "pii_type", "count", "replacement")
    FIELD_PATH_FIELD_NUMBER: _ClassVar[int]
    PII_TYPE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    REPLACEMENT_FIELD_NUMBER: _ClassVar[int]
    field_path: str
    pii_type: PiiType
    count: int
    replacement: str
    def __init__(self, field_path: _Optional[str] = ..., pii_type: _Optional[_Union[PiiType, str]] = ..., count: _Optional[int] = ..., replacement: _Optional[str] = ...) -> None: ...

class CurationMetrics(_message.Message):
    __slots__ = ("language", "language_confidence", "length_chars", "repetition_ratio", "symbol_ratio", "quality_score", "max_near_duplicate_similarity", "max_semantic_similarity", "most_similar_contribution", "adversarial_score")
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    LENGTH_CHARS_FIELD_NUMBER: _ClassVar[int]
    REPETITION_RATIO_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_RATIO_FIELD_NUMBER: _ClassVar[int]
    QUALITY_SCORE_FIELD_NUMBER: _ClassVar[int]
    MAX_NEAR_DUPLICATE_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    MAX_SEMANTIC_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    MOST_SIMILAR_CONTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    ADVERSARIAL_SCORE_FIELD_NUMBER: _ClassVar[int]
    language: str
    language_confidence: float
    length_chars: int
    repetition_ratio: float
    symbol_ratio: float
    quality_score: float
    max_near_duplicate_similarity: float
    max_semantic_similarity: float
    most_similar_contribution: str
    adversarial_score: float
    def __init__(self, language: _Optional[str] = ..., language_confidence: _Optional[float] = ..., length_chars: _Optional[int] = ..., repetition_ratio: _Optional[float] = ..., symbol_ratio: _Optional[float] = ..., quality_score: _Optional[float] = ..., max_near_duplicate_similarity: _Optional[float] = ..., max_semantic_similarity: _Optional[float] = ..., most_similar_contribution: _Optional[str] = ..., adversarial_score: _Optional[float] = ...) -> None: ...
