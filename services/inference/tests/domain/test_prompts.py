"""Prompt token ids from each input form, tokenised the way ModelFactory trains."""

from __future__ import annotations

import pytest
from transformers import PreTrainedTokenizerBase

from openledger_inference.domain.model import (
    AdapterDescriptor,
    AdapterRef,
    ChatMessage,
    ChatRole,
    GenerationInput,
)
from openledger_inference.domain.prompts import PromptEncoder
from openledger_kit.errors import InvalidArgument
from openledger_ml.models.loading import load_tokenizer
from openledger_ml.templates import (
    CHATML_TEMPLATE,
    TaskTemplate,
    prompt_template,
    render_prompt,
    tokenize_example,
)
from services.inference.tests.support.models import tiny_model


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerBase:
    return load_tokenizer(tiny_model().path)


@pytest.fixture(scope="module")
def encoder(tokenizer: PreTrainedTokenizerBase) -> PromptEncoder:
    return PromptEncoder(tokenizer, tiny_model().vocab_size)


def descriptor(task: str, template: str = "") -> AdapterDescriptor:
    return AdapterDescriptor(
        ref=AdapterRef("demo", 1),
        base_model="tiny-llama",
        base_model_revision="r",
        adapter_sha256=b"\x01" * 32,
        adapter_config_sha256=b"\x02" * 32,
        prompt_template=template,
        task_template=task,
    )


def messages(*turns: tuple[ChatRole, str]) -> tuple[ChatMessage, ...]:
    return tuple(ChatMessage(role, content) for role, content in turns)


def test_prompt_text_is_tokenised_as_training_tokenises_prompts(
    tokenizer: PreTrainedTokenizerBase, encoder: PromptEncoder
) -> None:
    text = render_prompt(
        TaskTemplate.INSTRUCTION,
        prompt_template(TaskTemplate.INSTRUCTION, tokenizer),
        {"instruction": "Name a colour."},
    )
    trained = tokenize_example(
        TaskTemplate.INSTRUCTION, {"instruction": "Name a colour.", "output": "red"}, tokenizer, 512
    )
    ids = encoder.encode(GenerationInput(prompt=text), None)
    assert list(ids) == trained.input_ids[: len(ids)]
    assert trained.labels[len(ids)] != -100  # the answer starts right after the prompt


def test_prompt_tokens_are_used_verbatim_and_checked_against_the_vocabulary(
    encoder: PromptEncoder,
) -> None:
    assert encoder.encode(GenerationInput(prompt_token_ids=(5, 1023)), None) == (5, 1023)
    with pytest.raises(InvalidArgument) as caught:
        encoder.encode(GenerationInput(prompt_token_ids=(5, 1024)), None)
    assert caught.value.field == "spec.prompt_tokens.token_ids[1]"


def test_base_model_chat_uses_the_tokenizers_template_with_the_generation_prompt(
    tokenizer: PreTrainedTokenizerBase,
    encoder: PromptEncoder,
) -> None:
    chat = messages((ChatRole.SYSTEM, "Be brief."), (ChatRole.USER, "Hi"))
    text = encoder.render_chat(chat, None)
    expected = tokenizer.apply_chat_template(
        [{"role": m.role.value, "content": m.content} for m in chat],
        tokenize=False,
        add_generation_prompt=True,
    )
    assert text == expected
    ids = encoder.encode(GenerationInput(chat=chat), None)
    assert ids == encoder.tokenize(text)


def test_an_adapter_chat_uses_its_own_template(encoder: PromptEncoder) -> None:
    chat = messages((ChatRole.USER, "Hi"))
    text = encoder.render_chat(chat, descriptor("chat", CHATML_TEMPLATE))
    assert text == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"


def test_a_trailing_assistant_message_is_the_answers_prefix(encoder: PromptEncoder) -> None:
    chat = messages((ChatRole.USER, "Hi"), (ChatRole.ASSISTANT, "Hello, I am"))
    text = encoder.render_chat(chat, descriptor("CHAT", CHATML_TEMPLATE))
    assert text.endswith("<|im_start|>assistant\nHello, I am")


def test_chat_with_an_adapter_trained_without_chat_is_refused(encoder: PromptEncoder) -> None:
    with pytest.raises(InvalidArgument) as caught:
        encoder.encode(
            GenerationInput(chat=messages((ChatRole.USER, "Hi"))), descriptor("instruction")
        )
    assert caught.value.field == "spec.chat"


def test_a_conversation_the_template_refuses_is_invalid(encoder: PromptEncoder) -> None:
    strict = (
        "{% for m in messages %}{% if m['role'] == 'system' %}"
        "{{ raise_exception('no system messages') }}{% endif %}{{ m['content'] }}{% endfor %}"
    )
    with pytest.raises(InvalidArgument) as caught:
        encoder.render_chat(
            messages((ChatRole.SYSTEM, "x"), (ChatRole.USER, "Hi")), descriptor("chat", strict)
        )
    assert caught.value.field == "spec.chat.messages"
    assert "no system messages" in caught.value.description
