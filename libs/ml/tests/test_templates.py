from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from openledger_ml.models.tiny import build_tiny_llama
from openledger_ml.templates import (
    CHATML_TEMPLATE,
    IGNORE_INDEX,
    SLOTS,
    Slot,
    SlotError,
    TaskTemplate,
    TokenizedExample,
    default_field_mapping,
    extract_slots,
    prompt_template,
    render_prompt,
    resolve_pointer,
    tokenize_example,
)

CONVERSATION = [
    {"role": "user", "content": "What is a datanet?"},
    {"role": "assistant", "content": "A shared dataset with contributors."},
    {"role": "user", "content": "Who owns it?"},
    {"role": "assistant", "content": "Its contributors, by their shares."},
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llama(
        tmp_path_factory.mktemp("tiny") / "model",
        vocab_size=512,
        hidden_size=32,
        intermediate_size=64,
    )


@pytest.fixture(scope="module")
def tokenizer(model_dir: Path) -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(model_dir)


def _decode(tokenizer: PreTrainedTokenizerBase, ids: list[int]) -> str:
    text = tokenizer.decode(ids, skip_special_tokens=False)
    assert isinstance(text, str)
    return text


def _loss_ids(example: TokenizedExample) -> list[int]:
    return [label for label in example.labels if label != IGNORE_INDEX]


def _encode(tokenizer: PreTrainedTokenizerBase, text: str) -> list[int]:
    ids: list[int] = tokenizer(text, add_special_tokens=False)["input_ids"]
    return ids


# --- slots ---------------------------------------------------------------------------------


def test_slots_are_as_the_proto_documents() -> None:
    assert SLOTS[TaskTemplate.INSTRUCTION] == (
        Slot("instruction", "string", True),
        Slot("input", "string", False),
        Slot("output", "string", True),
    )
    assert SLOTS[TaskTemplate.CHAT] == (
        Slot("messages", "messages", True),
        Slot("system", "string", False),
    )
    assert SLOTS[TaskTemplate.COMPLETION] == (
        Slot("text", "string", True),
        Slot("prompt", "string", False),
    )
    assert default_field_mapping(TaskTemplate.COMPLETION) == {"text": "/text", "prompt": "/prompt"}


def test_resolve_pointer_follows_rfc_6901() -> None:
    doc: dict[str, Any] = {"a": {"b/c": [10, {"m~n": "x"}]}, "": 1}
    assert resolve_pointer(doc, "") is doc
    assert resolve_pointer(doc, "/a/b~1c/0") == 10
    assert resolve_pointer(doc, "/a/b~1c/1/m~0n") == "x"
    assert resolve_pointer(doc, "/") == 1
    for absent in ("/a/missing", "/a/b~1c/2", "/a/b~1c/01", "/a/b~1c/-", "/a/b~1c/0/deeper"):
        with pytest.raises(KeyError, match=absent):
            resolve_pointer(doc, absent)
    with pytest.raises(ValueError, match="start with '/'"):
        resolve_pointer(doc, "a")


def test_extract_slots_reads_mapped_fields_and_defaults() -> None:
    content = {"q": {"text": "Add 2 and 2"}, "answer": "4", "input": None}
    slots = extract_slots(
        TaskTemplate.INSTRUCTION, content, {"instruction": "/q/text", "output": "/answer"}
    )
    # "input" falls back to /input, which is null: an absent optional slot.
    assert slots == {"instruction": "Add 2 and 2", "output": "4"}


def test_extract_slots_normalises_messages_and_keeps_system() -> None:
    content = {
        "conv": [{"role": "user", "content": "hi", "ts": 3}, {"role": "assistant", "content": ""}],
        "system": "Be brief.",
    }
    slots = extract_slots(TaskTemplate.CHAT, content, {"messages": "/conv"})
    assert slots == {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": ""}],
        "system": "Be brief.",
    }


@pytest.mark.parametrize(
    ("template", "content", "mapping", "slot", "pointer", "message"),
    [
        (TaskTemplate.INSTRUCTION, {"instruction": "x"}, {}, "output", "/output", "missing"),
        (
            TaskTemplate.INSTRUCTION,
            {"q": "x", "output": "y"},
            {"instruction": "/q/0"},
            "instruction",
            "/q/0",
            "missing",
        ),
        (
            TaskTemplate.INSTRUCTION,
            {"instruction": 3, "output": "y"},
            {},
            "instruction",
            "/instruction",
            "a number",
        ),
        (
            TaskTemplate.COMPLETION,
            {"text": "t", "prompt": ["p"]},
            {},
            "prompt",
            "/prompt",
            "an array",
        ),
        (
            TaskTemplate.CHAT,
            {"messages": "hello"},
            {},
            "messages",
            "/messages",
            "array of messages",
        ),
        (TaskTemplate.CHAT, {"messages": []}, {}, "messages", "/messages", "at least one"),
        (
            TaskTemplate.CHAT,
            {"m": [{"role": "bot", "content": "x"}]},
            {"messages": "/m"},
            "messages",
            "/m",
            "role",
        ),
        (
            TaskTemplate.CHAT,
            {"messages": [{"role": "user", "content": 1}]},
            {},
            "messages",
            "/messages",
            "content",
        ),
        (TaskTemplate.CHAT, {"messages": ["hi"]}, {}, "messages", "/messages", "object"),
    ],
)
def test_extract_slots_names_the_slot_that_cannot_be_filled(
    template: TaskTemplate,
    content: dict[str, Any],
    mapping: dict[str, str],
    slot: str,
    pointer: str,
    message: str,
) -> None:
    with pytest.raises(SlotError, match=message) as caught:
        extract_slots(template, content, mapping)
    assert (caught.value.slot, caught.value.pointer) == (slot, pointer)


def test_extract_slots_refuses_a_mapping_for_an_unknown_slot() -> None:
    with pytest.raises(ValueError, match="answer"):
        extract_slots(TaskTemplate.INSTRUCTION, {}, {"answer": "/a"})


# --- prompts -------------------------------------------------------------------------------


def test_instruction_prompt_is_alpaca(tokenizer: PreTrainedTokenizerBase) -> None:
    template = prompt_template(TaskTemplate.INSTRUCTION, tokenizer)
    assert render_prompt(
        TaskTemplate.INSTRUCTION, template, {"instruction": "Sum", "output": "4"}
    ) == (
        "Below is an instruction that describes a task. Write a response that appropriately"
        " completes the request.\n\n### Instruction:\nSum\n\n### Response:\n"
    )
    assert render_prompt(
        TaskTemplate.INSTRUCTION, template, {"instruction": "Sum", "input": "2 2"}
    ) == (
        "Below is an instruction that describes a task, paired with an input that provides"
        " further context. Write a response that appropriately completes the request.\n\n"
        "### Instruction:\nSum\n\n### Input:\n2 2\n\n### Response:\n"
    )


def test_completion_prompt_is_the_prompt_slot(tokenizer: PreTrainedTokenizerBase) -> None:
    template = prompt_template(TaskTemplate.COMPLETION, tokenizer)
    assert template == "{{ prompt }}"
    assert (
        render_prompt(TaskTemplate.COMPLETION, template, {"text": "t", "prompt": "Once"}) == "Once"
    )
    assert render_prompt(TaskTemplate.COMPLETION, template, {"text": "t"}) == ""


def test_chat_prompt_renders_as_the_tokenizer_does(tokenizer: PreTrainedTokenizerBase) -> None:
    template = prompt_template(TaskTemplate.CHAT, tokenizer)
    slots = {"messages": CONVERSATION[:3], "system": "Be brief."}
    expected = tokenizer.apply_chat_template(
        [{"role": "system", "content": "Be brief."}, *CONVERSATION[:3]],
        tokenize=False,
        add_generation_prompt=True,
    )
    assert render_prompt(TaskTemplate.CHAT, template, slots) == expected
    assert expected.endswith("<|im_start|>assistant\n")


def test_chat_prompt_falls_back_to_chatml(model_dir: Path) -> None:
    bare = AutoTokenizer.from_pretrained(model_dir)
    bare.chat_template = None
    template = prompt_template(TaskTemplate.CHAT, bare)
    assert template.endswith(CHATML_TEMPLATE)
    assert render_prompt(TaskTemplate.CHAT, template, {"messages": CONVERSATION[:1]}) == (
        "<|im_start|>user\nWhat is a datanet?<|im_end|>\n<|im_start|>assistant\n"
    )


def test_chat_prompt_binds_the_special_tokens(model_dir: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.chat_template = (
        "{{ bos_token }}{% for m in messages %}{{ m['content'] + eos_token }}{% endfor %}"
    )
    template = prompt_template(TaskTemplate.CHAT, tokenizer)
    # Rendered without the tokenizer, as inference renders it.
    assert render_prompt(TaskTemplate.CHAT, template, {"messages": CONVERSATION[:1]}) == (
        "<s>What is a datanet?</s>"
    )


# --- tokenization --------------------------------------------------------------------------


def test_instruction_example_has_loss_on_output_and_eos(tokenizer: PreTrainedTokenizerBase) -> None:
    slots = {"instruction": "Name the colour of grass.", "output": "Green."}
    example = tokenize_example(TaskTemplate.INSTRUCTION, slots, tokenizer, 512)
    prompt = render_prompt(
        TaskTemplate.INSTRUCTION, prompt_template(TaskTemplate.INSTRUCTION, tokenizer), slots
    )
    prompt_ids = _encode(tokenizer, prompt)
    # The prompt is tokenized as inference tokenizes it; the text is prompt + output.
    assert example.input_ids[: len(prompt_ids)] == prompt_ids
    assert _decode(tokenizer, example.input_ids) == prompt + "Green." + "</s>"
    assert _loss_ids(example) == [*_encode(tokenizer, "Green."), tokenizer.eos_token_id]
    assert example.labels[: len(prompt_ids)] == [IGNORE_INDEX] * len(prompt_ids)
    assert example.loss_tokens == len(_loss_ids(example))
    assert not example.truncated
    assert len(example.labels) == len(example.input_ids)


def test_completion_example_has_no_loss_on_the_prompt(tokenizer: PreTrainedTokenizerBase) -> None:
    example = tokenize_example(
        TaskTemplate.COMPLETION, {"prompt": "Once upon", "text": " a time"}, tokenizer, 64
    )
    prompt_ids = _encode(tokenizer, "Once upon")
    assert example.input_ids == [
        *prompt_ids,
        *_encode(tokenizer, " a time"),
        tokenizer.eos_token_id,
    ]
    assert example.labels[: len(prompt_ids)] == [IGNORE_INDEX] * len(prompt_ids)
    assert _decode(tokenizer, _loss_ids(example)) == " a time</s>"


def test_chat_example_has_loss_on_assistant_turns_only(tokenizer: PreTrainedTokenizerBase) -> None:
    example = tokenize_example(TaskTemplate.CHAT, {"messages": CONVERSATION}, tokenizer, 512)
    full = tokenizer.apply_chat_template(CONVERSATION, tokenize=False)
    assert _decode(tokenizer, example.input_ids) == full
    # Loss runs: each assistant turn's content and its end-of-turn marker, not the newline
    # after it nor any user turn.
    runs: list[list[int]] = [[]]
    for label in example.labels:
        if label == IGNORE_INDEX:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(label)
    assert [_decode(tokenizer, run) for run in runs if run] == [
        "A shared dataset with contributors.<|im_end|>",
        "Its contributors, by their shares.<|im_end|>",
    ]
    # The tokens before the first answer are those inference feeds for that prompt.
    template = prompt_template(TaskTemplate.CHAT, tokenizer)
    prompt_ids = _encode(
        tokenizer, render_prompt(TaskTemplate.CHAT, template, {"messages": CONVERSATION[:1]})
    )
    assert example.input_ids[: len(prompt_ids)] == prompt_ids
    assert example.labels[: len(prompt_ids)] == [IGNORE_INDEX] * len(prompt_ids)


def test_chat_example_without_an_answer_has_no_loss(tokenizer: PreTrainedTokenizerBase) -> None:
    example = tokenize_example(TaskTemplate.CHAT, {"messages": CONVERSATION[:1]}, tokenizer, 512)
    assert example.loss_tokens == 0
    assert example.input_ids


def test_chat_turns_that_cannot_be_located_are_a_slot_error(model_dir: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    # SmolLM2's habit: a default system message before a conversation that has none.
    tokenizer.chat_template = (
        "{% for m in messages %}{% if loop.first and m['role'] != 'system' %}"
        "{{ '<|im_start|>system\\nBe kind.<|im_end|>\\n' }}{% endif %}"
        "{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
    )
    example = tokenize_example(TaskTemplate.CHAT, {"messages": CONVERSATION}, tokenizer, 512)
    assert example.loss_tokens > 0
    with pytest.raises(SlotError, match="message 0") as caught:
        tokenize_example(TaskTemplate.CHAT, {"messages": CONVERSATION[1:]}, tokenizer, 512)
    assert caught.value.slot == "messages"


def test_truncation_from_the_right(tokenizer: PreTrainedTokenizerBase) -> None:
    slots = {"prompt": "One two three four five", "text": " six seven eight nine ten"}
    whole = tokenize_example(TaskTemplate.COMPLETION, slots, tokenizer, 512)
    prompt_len = len(_encode(tokenizer, slots["prompt"]))
    cut = tokenize_example(TaskTemplate.COMPLETION, slots, tokenizer, prompt_len + 2)
    assert cut.truncated
    assert cut.input_ids == whole.input_ids[: prompt_len + 2]
    assert cut.loss_tokens == 2
    gone = tokenize_example(TaskTemplate.COMPLETION, slots, tokenizer, prompt_len)
    assert gone.truncated and gone.loss_tokens == 0


def test_bos_is_added_once_when_the_tokenizer_adds_one(model_dir: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(model_dir, add_bos_token=True)
    bos = tokenizer.bos_token_id
    example = tokenize_example(TaskTemplate.COMPLETION, {"text": "Hello"}, tokenizer, 64)
    assert example.input_ids == [bos, *_encode(tokenizer, "Hello"), tokenizer.eos_token_id]
    assert example.labels[0] == IGNORE_INDEX
    # A chat template that writes bos itself gets no second one.
    tokenizer.chat_template = (
        "{{ bos_token }}{% for m in messages %}{{ m['role'] + ': ' + m['content'] + eos_token }}"
        "{% endfor %}{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}"
    )
    chat = tokenize_example(TaskTemplate.CHAT, {"messages": CONVERSATION[:2]}, tokenizer, 512)
    assert chat.input_ids.count(bos) == 1 and chat.input_ids[0] == bos
    assert _decode(tokenizer, _loss_ids(chat)) == "A shared dataset with contributors.</s>"
