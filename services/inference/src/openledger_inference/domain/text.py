"""Output text from output tokens, a token at a time: incremental detokenisation that never
splits a UTF-8 character, and text stop sequences that never leak.

Both engines return token ids; the node turns them into text here, so a stream's text and the
completion's text are the same on every engine."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

Decode = Callable[[Sequence[int]], str]
"""Token ids to text (the tokenizer's ``decode``, special tokens skipped)."""

REPLACEMENT = "\ufffd"
"""What a decoder makes of the bytes of an unfinished UTF-8 character."""

CONTEXT_TOKENS = 5
"""Prompt tokens decoded in front of the output: tokenizers that drop a leading space when a
sequence starts with a token (SentencePiece) then decode the first output token as they would
mid-text."""


class Detokenizer:
    """Text of a growing token sequence, released only in whole characters.

    Each step decodes from the token after the last released boundary (plus the few tokens
    before it, for context) instead of the whole output, so the work per token stays bounded.
    Text whose decoding ends in U+FFFD is held: the next token may complete the character.
    """

    def __init__(self, decode: Decode, context: Sequence[int] = ()) -> None:
        self._decode = decode
        self._ids: list[int] = list(context[-CONTEXT_TOKENS:])
        self._prefix = 0
        """Start of the window decoded each step: context for the text after ``_read``."""
        self._read = len(self._ids)
        """Tokens up to here have had their text released."""

    def push(self, token_id: int) -> str:
        """Add one token; the newly complete text (possibly empty)."""
        self._ids.append(token_id)
        prefix_text = self._decode(self._ids[self._prefix : self._read])
        text = self._decode(self._ids[self._prefix :])
        if len(text) <= len(prefix_text) or text.endswith(REPLACEMENT):
            return ""
        self._prefix, self._read = self._read, len(self._ids)
        return text[len(prefix_text) :]

    def flush(self) -> str:
        """The text still held (an unfinished character decodes as U+FFFD): the output ends."""
        prefix_text = self._decode(self._ids[self._prefix : self._read])
        text = self._decode(self._ids[self._prefix :])
        self._prefix = self._read = len(self._ids)
        return text[len(prefix_text) :]


@dataclass(frozen=True)
class StopMatch:
    sequence: str


class StopMatcher:
    """Finds the first stop sequence in streamed text and releases only text that cannot be
    part of one.

    The match kept is the one that ends first (ties: the longest), as a reader going character
    by character would stop there, so the result does not depend on how the text was chunked.
    The released text never contains a stop sequence, and the match itself is never released.
    """

    def __init__(self, stop_sequences: Sequence[str]) -> None:
        self._stops = tuple(s for s in stop_sequences if s)
        self._held = ""
        self.match: StopMatch | None = None

    def feed(self, text: str) -> str:
        """Add text; the part that is now safe to release. After a match, ``match`` is set,
        the text before it is released, and everything after it is dropped."""
        if self.match is not None or not text:
            return ""
        if not self._stops:
            return text
        pending = self._held + text
        found = self._earliest(pending)
        if found is not None:
            start, sequence = found
            self.match = StopMatch(sequence)
            self._held = ""
            return pending[:start]
        keep = self._partial_suffix(pending)
        self._held = pending[len(pending) - keep :] if keep else ""
        return pending[: len(pending) - keep]

    def flush(self) -> str:
        """The held text, released because no more text will come."""
        held, self._held = self._held, ""
        return held if self.match is None else ""

    def _earliest(self, text: str) -> tuple[int, str] | None:
        best: tuple[int, int, str] | None = None  # (end, -length, sequence)
        for stop in self._stops:
            at = text.find(stop)
            if at < 0:
                continue
            candidate = (at + len(stop), -len(stop), stop)
            if best is None or candidate < best:
                best = candidate
        if best is None:
            return None
        end, _, sequence = best
        return end - len(sequence), sequence

    def _partial_suffix(self, text: str) -> int:
        """Length of the longest suffix of ``text`` that is a proper prefix of a stop
        sequence."""
        longest = 0
        for stop in self._stops:
            for size in range(min(len(stop) - 1, len(text)), longest, -1):
                if text.endswith(stop[:size]):
                    longest = size
                    break
        return longest


class OutputText:
    """Detokenisation and stop sequences together: one token in, the text to release out."""

    def __init__(
        self, decode: Decode, stop_sequences: Sequence[str], context: Sequence[int] = ()
    ) -> None:
        self._detokenizer = Detokenizer(decode, context)
        self._stops = StopMatcher(stop_sequences)
        self.text = ""
        """Everything released so far."""

    @property
    def stopped(self) -> StopMatch | None:
        return self._stops.match

    def push(self, token_id: int) -> str:
        delta = self._stops.feed(self._detokenizer.push(token_id))
        self.text += delta
        return delta

    def finish(self) -> str:
        """The rest of the text once no more tokens come (nothing after a stop match)."""
        if self._stops.match is not None:
            return ""
        delta = self._stops.feed(self._detokenizer.flush())
        delta += self._stops.flush() if self._stops.match is None else ""
        self.text += delta
        return delta
