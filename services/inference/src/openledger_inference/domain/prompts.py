"""Prompt token ids from a generation's input, the way training produced them.

ModelFactory trains on ``openledger_ml.templates``: a prompt's tokens are the tokenizer's BOS
token (when the tokenizer adds one by default and the text does not already start with it)
followed by the text encoded without special tokens. The node tokenises the same way, so an
adapter sees at serving time the tokens it was trained on:

- ``prompt`` text is used verbatim (no template; BOS as above, nothing else added);
- ``prompt_tokens`` are used as given (each id below the vocabulary size);
- ``chat`` is rendered with the adapter's prompt template (the chat template it was trained
  with) or, for the base model or an adapter without one, the tokenizer's chat template (ChatML
  when it has none), with the assistant generation prompt. A trailing ASSISTANT message is the
  answer's prefix: the conversation before it is rendered with the generation prompt and its
  content appended, so the model continues it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import jinja2

from openledger_inference.domain.model import (
    AdapterDescriptor,
    ChatMessage,
    ChatRole,
    GenerationInput,
)
from openledger_kit.errors import InvalidArgument
from openledger_ml.templates import TaskTemplate, prompt_template, render_prompt

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


class PromptEncoder:
    """Turns a ``GenerationInput`` into prompt token ids for one base model's tokenizer."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, vocab_size: int) -> None:
        self._tokenizer = tokenizer
        self.vocab_size = vocab_size
        self._base_chat_template = prompt_template(TaskTemplate.CHAT, tokenizer)
        self._bos = self._default_bos(tokenizer)

    def encode(
        self,
        value: GenerationInput,
        adapter: AdapterDescriptor | None,
        *,
        field: str = "spec",
    ) -> tuple[int, ...]:
        """The prompt token ids (``InvalidArgument`` naming the input field when the input
        cannot be used with this model or adapter)."""
        if value.prompt_token_ids is not None:
            return self._check_ids(value.prompt_token_ids, f"{field}.prompt_tokens.token_ids")
        if value.prompt is not None:
            return self.tokenize(value.prompt)
        if value.chat is not None:
            return self.tokenize(self.render_chat(value.chat, adapter, field=field))
        raise InvalidArgument(
            f"{field}.input", "exactly one of prompt, prompt_tokens and chat must be set"
        )

    def tokenize(self, text: str) -> tuple[int, ...]:
        ids: list[int] = self._tokenizer(text, add_special_tokens=False)["input_ids"]
        bos_token = self._tokenizer.bos_token
        if self._bos is not None and not (bos_token and text.startswith(bos_token)):
            ids = [self._bos, *ids]
        return tuple(ids)

    def render_chat(
        self,
        messages: Sequence[ChatMessage],
        adapter: AdapterDescriptor | None,
        *,
        field: str = "spec",
    ) -> str:
        """The chat's prompt text, ending where the assistant's answer starts."""
        template = self._chat_template(adapter, field)
        turns = [{"role": m.role.value, "content": m.content} for m in messages]
        prefix = ""
        if messages[-1].role is ChatRole.ASSISTANT:
            prefix = turns.pop()["content"]
        try:
            return render_prompt(TaskTemplate.CHAT, template, {"messages": turns}) + prefix
        except jinja2.TemplateError as exc:
            # Chat templates refuse conversations they cannot express (roles not
            # alternating, a system message they do not support) with raise_exception.
            raise InvalidArgument(
                f"{field}.chat.messages", f"the chat template rejects this conversation: {exc}"
            ) from exc

    def _chat_template(self, adapter: AdapterDescriptor | None, field: str) -> str:
        if adapter is None:
            return self._base_chat_template
        task = adapter.task_template.upper()
        if task and task != TaskTemplate.CHAT:
            raise InvalidArgument(
                f"{field}.chat",
                f"adapter {adapter.ref} was trained with the {task} task template, not chat: "
                "send `prompt` text formatted with its prompt template instead",
            )
        return adapter.prompt_template or self._base_chat_template

    def _check_ids(self, ids: Sequence[int], field: str) -> tuple[int, ...]:
        for i, token in enumerate(ids):
            if not 0 <= token < self.vocab_size:
                raise InvalidArgument(
                    f"{field}[{i}]", f"{token} is not below the vocabulary size {self.vocab_size}"
                )
        return tuple(ids)

    @staticmethod
    def _default_bos(tokenizer: PreTrainedTokenizerBase) -> int | None:
        bos: int | None = tokenizer.bos_token_id
        if bos is None:
            return None
        ids: list[int] = tokenizer("a", add_special_tokens=True)["input_ids"]
        return bos if ids and ids[0] == bos else None
