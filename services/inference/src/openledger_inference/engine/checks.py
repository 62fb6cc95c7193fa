"""What every engine refuses at the door, the same way: a prompt it could not run (refused
before it is queued, so one bad request never fails a batch) and an adapter above its rank."""

from __future__ import annotations

from openledger_inference.domain.model import LocalAdapter
from openledger_kit.errors import FailedPrecondition, InvalidArgument


def check_prompt(prompt_token_ids: tuple[int, ...], vocab_size: int, context_tokens: int) -> None:
    """An empty prompt, a token outside the vocabulary, or a prompt leaving no room for one
    output token is an ``InvalidArgument``."""
    if not prompt_token_ids:
        raise InvalidArgument("prompt_token_ids", "the prompt has no tokens")
    low, high = min(prompt_token_ids), max(prompt_token_ids)
    if low < 0 or high >= vocab_size:
        bad = low if low < 0 else high
        raise InvalidArgument(
            "prompt_token_ids", f"token id {bad} is outside the vocabulary [0, {vocab_size})"
        )
    if len(prompt_token_ids) >= context_tokens:
        raise InvalidArgument(
            "prompt_token_ids",
            f"{len(prompt_token_ids)} tokens leave no room to generate in the "
            f"{context_tokens}-token context window",
        )


def check_rank(adapter: LocalAdapter, max_lora_rank: int) -> None:
    if adapter.rank > max_lora_rank:
        raise FailedPrecondition(
            f"adapter {adapter.name}: rank {adapter.rank} is above this engine's "
            f"max_lora_rank {max_lora_rank}",
            reason="ADAPTER_RANK_TOO_LARGE",
        )
