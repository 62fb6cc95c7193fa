from pathlib import Path

import pytest

from openledger_inference.domain.model import AdapterDescriptor, AdapterRef, LocalAdapter
from openledger_inference.engine.checks import check_prompt, check_rank
from openledger_kit.errors import FailedPrecondition, InvalidArgument


def test_prompts_an_engine_cannot_run_are_refused_naming_the_field() -> None:
    check_prompt((1, 2, 3), vocab_size=10, context_tokens=4)
    for prompt in [(), (1, 10), (-1,), (1, 2, 3, 4)]:
        with pytest.raises(InvalidArgument) as raised:
            check_prompt(prompt, vocab_size=10, context_tokens=4)
        assert raised.value.field == "prompt_token_ids"


def test_an_adapter_above_the_engines_rank_is_refused() -> None:
    descriptor = AdapterDescriptor(
        ref=AdapterRef("wide", 1),
        base_model="tiny-llama",
        base_model_revision="r",
        adapter_sha256=b"\0" * 32,
        adapter_config_sha256=b"\0" * 32,
    )
    adapter = LocalAdapter(descriptor, Path("."), rank=16, size_bytes=1)
    check_rank(adapter, 16)
    with pytest.raises(FailedPrecondition) as raised:
        check_rank(adapter, 8)
    assert raised.value.reason == "ADAPTER_RANK_TOO_LARGE"
