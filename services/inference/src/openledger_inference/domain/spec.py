"""Structural validation of a generation request: the rules on ``GenerationSpec`` and
``SamplingParams`` that need no model. The API layer converts the proto messages to plain values
and calls these; every error is ``InvalidArgument`` naming the proto field path under the
caller's prefix (``spec.sampling.top_p``). Rules that need the served model (vocabulary size,
context window, the adapter's base model) are the node's."""

from __future__ import annotations

import math
from collections.abc import Sequence

from openledger_inference.domain.model import (
    DEFAULT_MAX_TOKENS,
    MAX_CHAT_MESSAGES,
    MAX_MAX_TOKENS,
    MAX_PROMPT_BYTES,
    MAX_STOP_SEQUENCE_BYTES,
    MAX_STOP_SEQUENCES,
    MAX_STOP_TOKEN_IDS,
    AdapterRef,
    ChatMessage,
    ChatRole,
    GenerationInput,
    GenerationSpec,
    Sampling,
)
from openledger_kit.errors import InvalidArgument
from openledger_ml.catalogue import BASE_MODEL_ID

MAX_SEED = 2**64 - 1
MAX_WEI_DIGITS = 78
"""Decimal digits of the largest uint256."""
CHAT_ROLE_PREFIX = "CHAT_ROLE_"


def build_sampling(
    *,
    max_tokens: int,
    temperature: float | None,
    top_p: float | None,
    top_k: int,
    seed: int | None,
    stop_sequences: Sequence[str],
    stop_token_ids: Sequence[int],
    repetition_penalty: float | None,
    field: str = "spec.sampling",
) -> Sampling:
    """``SamplingParams`` with its defaults applied (``None``: the field is unset; 0 for
    ``max_tokens`` and ``top_k``: the default). Out-of-range values are rejected, never
    clamped."""
    if max_tokens == 0:
        max_tokens = DEFAULT_MAX_TOKENS
    elif not 1 <= max_tokens <= MAX_MAX_TOKENS:
        raise InvalidArgument(
            f"{field}.max_tokens", f"must be 1 to {MAX_MAX_TOKENS} (0: {DEFAULT_MAX_TOKENS})"
        )
    if temperature is None:
        temperature = 1.0
    elif not (math.isfinite(temperature) and 0.0 <= temperature <= 2.0):
        raise InvalidArgument(f"{field}.temperature", "must be in [0, 2] (0: greedy)")
    if top_p is None:
        top_p = 1.0
    elif not (math.isfinite(top_p) and 0.0 < top_p <= 1.0):
        raise InvalidArgument(f"{field}.top_p", "must be in (0, 1]")
    if top_k < 0:
        raise InvalidArgument(f"{field}.top_k", "must be 0 (disabled) or positive")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise InvalidArgument(f"{field}.seed", "must be an unsigned 64-bit value")
    if repetition_penalty is None:
        repetition_penalty = 1.0
    elif not (math.isfinite(repetition_penalty) and 0.0 < repetition_penalty <= 2.0):
        raise InvalidArgument(f"{field}.repetition_penalty", "must be in (0, 2]")
    return Sampling(
        max_tokens=max_tokens,
        temperature=float(temperature),
        top_p=float(top_p),
        top_k=top_k,
        seed=seed,
        stop_sequences=_stop_sequences(stop_sequences, f"{field}.stop_sequences"),
        stop_token_ids=_stop_token_ids(stop_token_ids, f"{field}.stop_token_ids"),
        repetition_penalty=float(repetition_penalty),
    )


def build_spec(
    *,
    adapter: str,
    base_model: str,
    input: GenerationInput,  # noqa: A002 - the proto oneof's name
    sampling: Sampling,
    field: str = "spec",
) -> GenerationSpec:
    """A structurally valid ``GenerationSpec``: an adapter reference or a base model, and
    exactly one well-formed input."""
    ref = AdapterRef.parse(adapter, f"{field}.adapter") if adapter else None
    if base_model:
        if BASE_MODEL_ID.fullmatch(base_model) is None:
            raise InvalidArgument(
                f"{field}.base_model",
                f"{base_model!r} is not a base model id (e.g. `smollm2-135m-instruct`)",
            )
    elif ref is None:
        raise InvalidArgument(
            f"{field}.base_model", "required when no adapter is given (base model only)"
        )
    _check_input(input, field)
    return GenerationSpec(adapter=ref, base_model=base_model, input=input, sampling=sampling)


def chat_role(name: str, field: str) -> ChatRole:
    """The role of a ``ChatRole`` enum value name (``CHAT_ROLE_USER``); UNSPECIFIED and
    unknown names are rejected."""
    try:
        return ChatRole(name.removeprefix(CHAT_ROLE_PREFIX).lower())
    except ValueError:
        raise InvalidArgument(field, "must be SYSTEM, USER or ASSISTANT") from None


def parse_max_fee(text: str, field: str = "max_fee") -> int | None:
    """A wei amount as a decimal integer string; empty means no limit (None)."""
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_WEI_DIGITS:
        raise InvalidArgument(
            field, "must be a decimal integer of wei (e.g. `1500000000000000`), or empty"
        )
    value = int(text)
    if value >= 2**256:
        raise InvalidArgument(field, "must fit in 256 bits")
    return value


def _stop_sequences(values: Sequence[str], field: str) -> tuple[str, ...]:
    if len(values) > MAX_STOP_SEQUENCES:
        raise InvalidArgument(field, f"at most {MAX_STOP_SEQUENCES} stop sequences")
    for i, value in enumerate(values):
        size = _utf8_size(value, f"{field}[{i}]")
        if not 1 <= size <= MAX_STOP_SEQUENCE_BYTES:
            raise InvalidArgument(
                f"{field}[{i}]", f"must be 1 to {MAX_STOP_SEQUENCE_BYTES} bytes of UTF-8"
            )
    return tuple(values)


def _stop_token_ids(values: Sequence[int], field: str) -> tuple[int, ...]:
    if len(values) > MAX_STOP_TOKEN_IDS:
        raise InvalidArgument(field, f"at most {MAX_STOP_TOKEN_IDS} stop token ids")
    for i, value in enumerate(values):
        if value < 0:
            raise InvalidArgument(f"{field}[{i}]", "must be a token id (not negative)")
    return tuple(values)


def _check_input(value: GenerationInput, field: str) -> None:
    given = [
        name
        for name, part in (
            ("prompt", value.prompt),
            ("prompt_tokens", value.prompt_token_ids),
            ("chat", value.chat),
        )
        if part is not None
    ]
    if len(given) != 1:
        raise InvalidArgument(
            f"{field}.input", "exactly one of prompt, prompt_tokens and chat must be set"
        )
    if value.prompt is not None:
        size = _utf8_size(value.prompt, f"{field}.prompt")
        if size == 0:
            raise InvalidArgument(f"{field}.prompt", "must not be empty")
        if size > MAX_PROMPT_BYTES:
            raise InvalidArgument(f"{field}.prompt", f"at most {MAX_PROMPT_BYTES} bytes of UTF-8")
    elif value.prompt_token_ids is not None:
        tokens_field = f"{field}.prompt_tokens.token_ids"
        if not value.prompt_token_ids:
            raise InvalidArgument(tokens_field, "must hold at least one token id")
        for i, token in enumerate(value.prompt_token_ids):
            if token < 0:
                raise InvalidArgument(f"{tokens_field}[{i}]", "must be a token id (not negative)")
    elif value.chat is not None:
        _check_chat(value.chat, f"{field}.chat.messages")


def _check_chat(messages: Sequence[ChatMessage], field: str) -> None:
    if not 1 <= len(messages) <= MAX_CHAT_MESSAGES:
        raise InvalidArgument(field, f"must hold 1 to {MAX_CHAT_MESSAGES} messages")
    total = 0
    last = len(messages) - 1
    for i, message in enumerate(messages):
        if message.role is ChatRole.SYSTEM and i > 0:
            raise InvalidArgument(
                f"{field}[{i}].role", "a SYSTEM message may only be the first message"
            )
        size = _utf8_size(message.content, f"{field}[{i}].content")
        if size == 0 and not (i == last and message.role is ChatRole.ASSISTANT):
            raise InvalidArgument(
                f"{field}[{i}].content",
                "must not be empty (only a trailing ASSISTANT message, the answer's prefix, may)",
            )
        total += size
    if total > MAX_PROMPT_BYTES:
        raise InvalidArgument(
            field, f"the messages' content totals {total} bytes; at most {MAX_PROMPT_BYTES}"
        )


def _utf8_size(text: str, field: str) -> int:
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidArgument(field, "must be valid UTF-8") from None
