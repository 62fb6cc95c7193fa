from __future__ import annotations

from functools import cache

from transformers import PreTrainedTokenizerBase

from openledger_attribution.spans.text import (
    DecodedTokenText,
    TokenBoundaries,
    token_boundaries,
)
from openledger_ml.models.loading import load_tokenizer
from openledger_ml.testing import tiny_llama_path


@cache
def _tokenizer() -> PreTrainedTokenizerBase:
    return load_tokenizer(tiny_llama_path())


def _marked(pieces: list[str], boundaries: TokenBoundaries) -> str:
    """The text with ``[`` at word starts, ``]`` after word ends and ``|`` after sentence ends."""
    return "".join(
        ("[" if boundaries.word_starts[i] else "")
        + piece
        + ("]" if boundaries.word_ends[i] else "")
        + ("|" if boundaries.sentence_ends[i] else "")
        for i, piece in enumerate(pieces)
    )


def test_words_are_found_across_byte_level_pieces() -> None:
    pieces = ["The", " qu", "ick", " b", "row", "n", " f", "o", "x", ","]
    boundaries = token_boundaries(pieces)
    assert _marked(pieces, boundaries) == "[The][ quick][ brown][ fox],]"


def test_a_bare_space_piece_neither_starts_nor_ends_a_word() -> None:
    pieces = [" named", " ", "Z", "or", "b"]
    boundaries = token_boundaries(pieces)
    assert _marked(pieces, boundaries) == "[ named] [Zorb]"


def test_sentences_end_at_terminators_and_newlines() -> None:
    pieces = ["Dogs", "!", "\n", "New", " line", " here", ".", " ", "An", "other", "?", " ok"]
    boundaries = token_boundaries(pieces)
    assert _marked(pieces, boundaries) == "[Dogs]!]|\n[New][ line][ here].]| [Another]?]|[ ok]"


def test_a_newline_at_the_head_of_a_piece_ends_the_sentence_before_it() -> None:
    pieces = ["one", " two", "\nthree", " four"]
    boundaries = token_boundaries(pieces)
    assert boundaries.sentence_ends == (False, True, False, False)
    assert boundaries.word_starts == (True, True, True, True)


def test_joining_punctuation_keeps_numbers_and_contractions_whole() -> None:
    pieces = [" pi", " is", " 3", ".", "14", " and", " don", "'", "t", " stop", "."]
    boundaries = token_boundaries(pieces)
    assert _marked(pieces, boundaries) == "[ pi][ is][ 3.14][ and][ don't][ stop].]|"


def test_char_offsets_locate_each_piece_in_the_joined_text() -> None:
    pieces = ["Ca", "f", "", "é", " ok"]
    boundaries = token_boundaries(pieces)
    assert boundaries.char_offsets == (0, 2, 3, 3, 4, 7)
    assert boundaries.word_starts == (True, False, False, False, True)
    assert boundaries.word_ends == (False, False, False, True, True)


def test_decoded_pieces_join_into_the_decoded_text() -> None:
    tokenizer = _tokenizer()
    text = "The quick brown fox, named Zorblax!\nCafé naïve 日本語 ok. Done"
    ids = tokenizer.encode(text, add_special_tokens=False)

    pieces = DecodedTokenText(tokenizer).token_texts(ids)

    assert len(pieces) == len(ids)
    assert "".join(pieces) == tokenizer.decode(ids) == text
    # A character split over several byte tokens is carried whole by its last token.
    assert "日" in pieces and "é" in pieces
    boundaries = token_boundaries(pieces)
    words = [
        "".join(pieces[start : boundaries.word_ends.index(True, start) + 1]).strip()
        for start in range(len(pieces))
        if boundaries.word_starts[start]
    ]
    assert words == ["The", "quick", "brown", "fox", "named", "Zorblax", "Café", "naïve",
                     "日本語", "ok", "Done"]  # fmt: skip
    assert [i for i, end in enumerate(boundaries.sentence_ends) if end] == [
        pieces.index("!"),
        pieces.index("."),
    ]


def test_decoding_nothing_gives_no_pieces() -> None:
    assert DecodedTokenText(_tokenizer()).token_texts([]) == []
    empty = token_boundaries([])
    assert empty.char_offsets == (0,)
    assert empty.word_starts == empty.word_ends == empty.sentence_ends == ()


def test_an_output_cut_inside_a_character_keeps_what_decode_shows() -> None:
    tokenizer = _tokenizer()
    ids = tokenizer.encode("ok 日", add_special_tokens=False)[:-1]

    pieces = DecodedTokenText(tokenizer).token_texts(ids)

    assert len(pieces) == len(ids)
    assert "".join(pieces) == tokenizer.decode(ids)
    assert pieces[-1].endswith("\ufffd")
