"""Word and sentence boundaries over the decoded pieces of a token sequence.

A traced span must begin and end on whole words and stay inside one sentence, so that what is
credited is a phrase a reader recognises, not a fragment such as ``"ick brown f"``. Byte-level
BPE splits words into pieces (``"The", " qu", "ick"``), so boundaries are found in the decoded
text the pieces join into, never in the raw vocabulary strings (``"Ġqu"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# Punctuation that joins letters or digits on both sides into one word: "don't", "3.14",
# "state-of-the-art".
_WORD_JOINERS = frozenset("'’_-.,")
_SENTENCE_TERMINATORS = frozenset(".!?")


class Decoder(Protocol):
    """What ``DecodedTokenText`` needs of a tokenizer (a Hugging Face tokenizer fits; its
    ``decode`` returns a list only for a batch, which is never passed)."""

    def decode(self, token_ids: list[int]) -> str | list[str]: ...


@dataclass(frozen=True)
class TokenBoundaries:
    """Per-token boundary flags and the character offsets of the pieces in the joined text.

    ``char_offsets`` has one entry per token plus the text length, so token ``i`` covers
    characters ``[char_offsets[i], char_offsets[i + 1])``. ``sentence_ends[i]`` means a
    sentence ends after token ``i``: no span may contain both token ``i`` and token ``i + 1``.
    """

    word_starts: tuple[bool, ...]
    word_ends: tuple[bool, ...]
    sentence_ends: tuple[bool, ...]
    char_offsets: tuple[int, ...]


class DecodedTokenText:
    """The decoded piece of each token, such that the pieces join into ``decode(ids)``.

    Decoding tokens one by one loses characters whose UTF-8 bytes span several tokens, and some
    decoders drop a leading space on the first token; so each piece is the text a token adds
    when decoded after a few tokens of left context. A token that ends inside a multi-byte
    character gets an empty piece and the next token carries the whole character.
    """

    # Left context for each decode: enough for a 4-byte character split one byte per token.
    _CONTEXT_TOKENS = 5

    def __init__(self, decoder: Decoder) -> None:
        self._decoder = decoder

    def token_texts(self, ids: Sequence[int]) -> list[str]:
        tokens = list(ids)
        pieces: list[str] = []
        prefix_start = 0
        read_start = 0
        for position in range(len(tokens)):
            prefix = self._decode(tokens[prefix_start:read_start])
            extended = self._decode(tokens[prefix_start : position + 1])
            if extended.endswith("\ufffd") or not extended.startswith(prefix):
                pieces.append("")
                continue
            pieces.append(extended[len(prefix) :])
            prefix_start = max(0, position + 1 - self._CONTEXT_TOKENS)
            read_start = position + 1
        if read_start < len(tokens):
            # The text ends inside a character: the last token carries what decode shows.
            prefix = self._decode(tokens[prefix_start:read_start])
            pieces[-1] = self._decode(tokens[prefix_start:])[len(prefix) :]
        return pieces

    def _decode(self, ids: list[int]) -> str:
        text = self._decoder.decode(ids)
        if not isinstance(text, str):
            raise TypeError(f"decode returned {type(text).__name__} for one sequence")
        return text


def token_boundaries(pieces: Sequence[str]) -> TokenBoundaries:
    """Word starts, word ends and sentence ends of a token sequence, from its decoded pieces.

    A word starts at a token that begins where the text changes from non-word to word (after
    whitespace or punctuation, or at the start) and carries a letter or digit; a word ends at a
    token that ends at such a change and carries something other than whitespace, so a span may
    end on its closing punctuation but never on a bare space or newline. Sentences end at
    ``!``, ``?``, a ``.`` not followed by a letter or digit (``3.14`` is one number), and at
    newlines.
    """
    text = "".join(pieces)
    offsets = [0]
    for piece in pieces:
        offsets.append(offsets[-1] + len(piece))
    count = len(pieces)
    word_starts = tuple(
        _is_break(text, offsets[i]) and _first_visible_is_word(pieces[i]) for i in range(count)
    )
    word_ends = tuple(
        _is_break(text, offsets[i + 1]) and not pieces[i].isspace() and pieces[i] != ""
        for i in range(count)
    )
    sentence_ends = [False] * count
    token = 0
    for position, character in enumerate(text):
        while offsets[token + 1] <= position:
            token += 1
        if character == "\n" and token > 0 and text[offsets[token] : position].strip() == "":
            # A newline at the head of a piece ("\nThe") ends the sentence before that token.
            sentence_ends[token - 1] = True
        elif character == "\n" or _ends_sentence(text, position):
            sentence_ends[token] = True
    return TokenBoundaries(
        word_starts=word_starts,
        word_ends=word_ends,
        sentence_ends=tuple(sentence_ends),
        char_offsets=tuple(offsets),
    )


def _in_word(text: str, position: int) -> bool:
    character = text[position]
    if character.isalnum():
        return True
    return (
        character in _WORD_JOINERS
        and 0 < position < len(text) - 1
        and text[position - 1].isalnum()
        and text[position + 1].isalnum()
    )


def _is_break(text: str, position: int) -> bool:
    if position == 0 or position == len(text):
        return True
    return not (_in_word(text, position - 1) and _in_word(text, position))


def _first_visible_is_word(piece: str) -> bool:
    visible = piece.lstrip()
    return visible != "" and visible[0].isalnum()


def _ends_sentence(text: str, position: int) -> bool:
    character = text[position]
    if character not in _SENTENCE_TERMINATORS:
        return False
    if character != ".":
        return True
    following = position + 1
    return following == len(text) or not text[following].isalnum()
