"""Task templates: how a record's slots become training text, and how prompts are formatted
for an adapter trained with them.

Training and inference share one rule: the training text of an example is exactly
``render_prompt(...)`` followed by the text the model is taught to produce, and the prompt is
tokenized on its own, as inference tokenizes it, so an adapter sees at serving time the token
sequence it was trained on.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

if TYPE_CHECKING:
    # Only for annotations: importing transformers costs over a second, and the domain
    # model (which needs only TaskTemplate) imports this module.
    from transformers import PreTrainedTokenizerBase

IGNORE_INDEX = -100
"""Label of a token that carries no loss (the value PyTorch's cross-entropy ignores)."""

ROLES = ("system", "user", "assistant")


class TaskTemplate(enum.StrEnum):
    INSTRUCTION = "INSTRUCTION"
    CHAT = "CHAT"
    COMPLETION = "COMPLETION"


@dataclass(frozen=True)
class Slot:
    name: str
    kind: Literal["string", "messages"]
    required: bool


SLOTS: Mapping[TaskTemplate, tuple[Slot, ...]] = {
    TaskTemplate.INSTRUCTION: (
        Slot("instruction", "string", True),
        Slot("input", "string", False),
        Slot("output", "string", True),
    ),
    TaskTemplate.CHAT: (
        Slot("messages", "messages", True),
        Slot("system", "string", False),
    ),
    TaskTemplate.COMPLETION: (
        Slot("text", "string", True),
        Slot("prompt", "string", False),
    ),
}

INSTRUCTION_TEMPLATE = (
    "{% if input %}"
    "Below is an instruction that describes a task, paired with an input that provides further"
    " context. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{{ instruction }}\n\n### Input:\n{{ input }}\n\n### Response:\n"
    "{% else %}"
    "Below is an instruction that describes a task. Write a response that appropriately"
    " completes the request.\n\n"
    "### Instruction:\n{{ instruction }}\n\n### Response:\n"
    "{% endif %}"
)
"""The Alpaca prompt, up to where the response starts."""

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
"""Used for chat when the tokenizer has no chat template of its own."""

COMPLETION_TEMPLATE = "{{ prompt }}"


class SlotError(ValueError):
    """A record cannot fill a slot: the slot is required and absent, or has the wrong type."""

    def __init__(self, slot: str, pointer: str, message: str) -> None:
        super().__init__(f"slot {slot!r} ({pointer or '/'}): {message}")
        self.slot = slot
        self.pointer = pointer
        self.message = message


@dataclass(frozen=True)
class TokenizedExample:
    input_ids: list[int]
    labels: list[int]
    """``IGNORE_INDEX`` where there is no loss, else the token id at that position."""
    truncated: bool
    loss_tokens: int


def resolve_pointer(content: Mapping[str, Any], pointer: str) -> Any:
    """The value at the RFC 6901 JSON Pointer ``pointer``; ``KeyError`` naming the pointer
    when there is none, ``ValueError`` when the pointer is malformed."""
    if pointer == "":
        return content
    if not pointer.startswith("/"):
        raise ValueError(f"JSON Pointer {pointer!r} must be empty or start with '/'")
    value: Any = content
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(value, Mapping):
            if token not in value:
                raise KeyError(pointer)
            value = value[token]
        elif isinstance(value, list):
            # RFC 6901 array indexes: decimal digits, no leading zero, and never "-" (the
            # element after the last, which cannot be read).
            if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
                raise KeyError(pointer)
            index = int(token)
            if index >= len(value):
                raise KeyError(pointer)
            value = value[index]
        else:
            raise KeyError(pointer)
    return value


def default_field_mapping(template: TaskTemplate) -> dict[str, str]:
    return {slot.name: f"/{slot.name}" for slot in SLOTS[template]}


def extract_slots(
    template: TaskTemplate, content: Mapping[str, Any], field_mapping: Mapping[str, str]
) -> dict[str, Any]:
    """The template's slots read from a record's content. A slot missing from
    ``field_mapping`` is read from the top-level field of its name; an optional slot that is
    absent or null is left out of the result. Messages are normalised to role and content.

    ``ValueError`` for a mapping naming a slot the template does not have (a configuration
    error, checked before any record is read); ``SlotError`` for a record that cannot fill a
    slot (the caller skips that record)."""
    slots = SLOTS[template]
    unknown = set(field_mapping) - {slot.name for slot in slots}
    if unknown:
        raise ValueError(f"field_mapping: {sorted(unknown)} are not slots of {template}")
    result: dict[str, Any] = {}
    for slot in slots:
        pointer = field_mapping.get(slot.name, f"/{slot.name}")
        try:
            value = resolve_pointer(content, pointer)
        except KeyError:
            value = None
        except ValueError as exc:
            raise SlotError(slot.name, pointer, str(exc)) from exc
        if value is None:
            if slot.required:
                raise SlotError(slot.name, pointer, "required and missing")
            continue
        if slot.kind == "string":
            if not isinstance(value, str):
                raise SlotError(slot.name, pointer, f"must be a string, not {_json_type(value)}")
            result[slot.name] = value
        else:
            result[slot.name] = _check_messages(slot.name, pointer, value)
    return result


def prompt_template(template: TaskTemplate, tokenizer: PreTrainedTokenizerBase) -> str:
    """The Jinja2 template recorded on an adapter, which ``render_prompt`` formats prompts
    with. For chat it is the tokenizer's chat template (ChatML when it has none) with the
    tokenizer's special tokens bound in it, so it renders the same without the tokenizer."""
    if template is TaskTemplate.INSTRUCTION:
        return INSTRUCTION_TEMPLATE
    if template is TaskTemplate.COMPLETION:
        return COMPLETION_TEMPLATE
    chat_template: Any = getattr(tokenizer, "chat_template", None)
    if isinstance(chat_template, Mapping):
        chat_template = chat_template.get("default")
    text: str = (
        chat_template if isinstance(chat_template, str) and chat_template else CHATML_TEMPLATE
    )
    bindings = "".join(
        f"{{% set {name} = {json.dumps(value)} %}}"
        for name, value in (
            ("bos_token", tokenizer.bos_token or ""),
            ("eos_token", tokenizer.eos_token or ""),
        )
    )
    return bindings + text


def render_prompt(template: TaskTemplate, prompt_template: str, slots: Mapping[str, Any]) -> str:
    """The prompt text that generation continues from."""
    if template is TaskTemplate.INSTRUCTION:
        return _render(
            prompt_template, instruction=slots["instruction"], input=slots.get("input") or ""
        )
    if template is TaskTemplate.COMPLETION:
        return _render(prompt_template, prompt=slots.get("prompt") or "")
    return _render(prompt_template, messages=_conversation(slots), add_generation_prompt=True)


def tokenize_example(
    template: TaskTemplate,
    slots: Mapping[str, Any],
    tokenizer: PreTrainedTokenizerBase,
    max_seq_length: int,
) -> TokenizedExample:
    """One training example: the tokens of the rendered text, with loss on what the model is
    taught to produce (the output for instructions, the assistant turns with their
    end-of-turn marker for chat, the text for completion; eos after outputs and texts).

    ``SlotError`` (skip the record) for a conversation the chat template does not render
    turn by turn, e.g. one opening with an assistant turn under a template that inserts a
    default system message before the first turn."""
    if max_seq_length < 1:
        raise ValueError(f"max_seq_length must be positive, got {max_seq_length}")
    template_text = prompt_template(template, tokenizer)
    # Each piece: (text, carries loss). Pieces are tokenized separately, so the prompt's
    # tokens are those inference produces from the prompt alone.
    pieces: list[tuple[str, bool]]
    if template is TaskTemplate.CHAT:
        pieces = _chat_pieces(template_text, _conversation(slots))
    else:
        target = slots["output"] if template is TaskTemplate.INSTRUCTION else slots["text"]
        pieces = [(render_prompt(template, template_text, slots), False), (target, True)]
    input_ids: list[int] = []
    labels: list[int] = []
    if _adds_bos(tokenizer) and not (
        pieces and tokenizer.bos_token and pieces[0][0].startswith(tokenizer.bos_token)
    ):
        input_ids.append(tokenizer.bos_token_id)
        labels.append(IGNORE_INDEX)
    for text, loss in pieces:
        ids = _encode(tokenizer, text)
        input_ids += ids
        labels += ids if loss else [IGNORE_INDEX] * len(ids)
    if template is not TaskTemplate.CHAT:
        if tokenizer.eos_token_id is None:
            raise ValueError("the tokenizer has no eos token to end an output with")
        input_ids.append(tokenizer.eos_token_id)
        labels.append(tokenizer.eos_token_id)
    truncated = len(input_ids) > max_seq_length
    input_ids, labels = input_ids[:max_seq_length], labels[:max_seq_length]
    return TokenizedExample(
        input_ids=input_ids,
        labels=labels,
        truncated=truncated,
        loss_tokens=sum(label != IGNORE_INDEX for label in labels),
    )


def _chat_pieces(template_text: str, messages: list[dict[str, str]]) -> list[tuple[str, bool]]:
    """The rendered conversation cut at assistant turns. The template is rendered once per
    prefix of the conversation; an assistant turn is what the prefix ending with it adds to
    the prefix before it with the generation prompt."""
    full = _render(template_text, messages=messages, add_generation_prompt=False)
    pieces: list[tuple[str, bool]] = []
    done = 0  # characters of ``full`` already in pieces
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = _render(template_text, messages=messages[:i], add_generation_prompt=True)
        through = _render(template_text, messages=messages[: i + 1], add_generation_prompt=False)
        if not (through.startswith(before) and full.startswith(through) and len(before) >= done):
            raise SlotError(
                "messages",
                "",
                "the chat template does not render this conversation turn by turn, so the"
                f" assistant turn in message {i} cannot be located",
            )
        turn = through[len(before) :]
        content = message["content"]
        at = turn.find(content) if content else 0
        if at < 0:
            # The template rewrote the content (e.g. trimmed it): the whole turn carries loss.
            at, content = 0, turn.rstrip()
        end = at + len(content)
        # After the content: the end-of-turn marker (loss) and the whitespace that follows it
        # before the next turn (no loss: the model stops at the marker).
        marker = turn[end:].rstrip()
        pieces += [
            (full[done : len(before)] + turn[:at], False),
            (turn[at:end], True),
            (marker, True),
        ]
        done = len(before) + end + len(marker)
    pieces.append((full[done:], False))
    return [(text, loss) for text, loss in pieces if text]


def _conversation(slots: Mapping[str, Any]) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = list(slots["messages"])
    system = slots.get("system")
    if system:
        messages.insert(0, {"role": "system", "content": system})
    return messages


def _check_messages(slot: str, pointer: str, value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise SlotError(slot, pointer, f"must be an array of messages, not {_json_type(value)}")
    if not value:
        raise SlotError(slot, pointer, "must hold at least one message")
    messages: list[dict[str, str]] = []
    for i, message in enumerate(value):
        if not isinstance(message, Mapping):
            raise SlotError(slot, pointer, f"message {i} must be an object")
        role, content = message.get("role"), message.get("content")
        if role not in ROLES:
            raise SlotError(slot, pointer, f"message {i}: role must be one of {list(ROLES)}")
        if not isinstance(content, str):
            raise SlotError(slot, pointer, f"message {i}: content must be a string")
        messages.append({"role": role, "content": content})
    return messages


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "an array"
    return type(value).__name__


def _encode(tokenizer: PreTrainedTokenizerBase, text: str) -> list[int]:
    ids: list[int] = tokenizer(text, add_special_tokens=False)["input_ids"]
    return ids


def _adds_bos(tokenizer: PreTrainedTokenizerBase) -> bool:
    if tokenizer.bos_token_id is None:
        return False
    ids = tokenizer("a", add_special_tokens=True)["input_ids"]
    return bool(ids) and ids[0] == tokenizer.bos_token_id


def _render(template_text: str, **variables: Any) -> str:
    return _compile(template_text).render(**variables)


def _raise_exception(message: str) -> None:
    raise jinja2.exceptions.TemplateError(message)


def _tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None) -> str:
    # Jinja's own tojson escapes HTML characters, which chat templates do not expect.
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)


@lru_cache(maxsize=32)
def _compile(template_text: str) -> jinja2.Template:
    # The environment Hugging Face renders chat templates in, so a tokenizer's chat template
    # renders here as it does in ``apply_chat_template``.
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    return env.from_string(template_text)
