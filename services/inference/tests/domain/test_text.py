"""Output text: incremental detokenisation never splits a UTF-8 character, and stop sequences
stop at the earliest match, across token boundaries, without leaking the match."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from transformers import PreTrainedTokenizerBase

from openledger_inference.domain.text import Detokenizer, OutputText, StopMatcher
from openledger_ml.models.loading import load_tokenizer
from services.inference.tests.support.models import tiny_model


def byte_decode(ids: Sequence[int]) -> str:
    """A byte-level vocabulary: token i is the byte i."""
    return bytes(ids).decode("utf-8", errors="replace")


def byte_ids(text: str) -> list[int]:
    return list(text.encode("utf-8"))


def test_multi_byte_characters_are_released_whole() -> None:
    text = "añ日😀!"
    detokenizer = Detokenizer(byte_decode)
    deltas = [detokenizer.push(token) for token in byte_ids(text)]
    assert "".join(deltas) + detokenizer.flush() == text
    assert all("\ufffd" not in delta for delta in deltas)
    # "日" is three bytes: nothing is released until the third.
    start = len("añ".encode())
    assert deltas[start : start + 3] == ["", "", "日"]


def test_an_unfinished_character_at_the_end_is_flushed_as_replacement() -> None:
    detokenizer = Detokenizer(byte_decode)
    deltas = [detokenizer.push(token) for token in byte_ids("ok") + [0xE6, 0x97]]
    assert "".join(deltas) == "ok"
    assert detokenizer.flush() == "\ufffd"


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerBase:
    return load_tokenizer(tiny_model().path)


def test_the_real_tokenizer_streams_the_text_it_decodes(tokenizer: PreTrainedTokenizerBase) -> None:
    text = "héllo wörld 日本 😀 done"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]

    def decode(ids: Sequence[int]) -> str:
        return str(tokenizer.decode(list(ids), skip_special_tokens=True))

    prompt = tokenizer("Say:", add_special_tokens=False)["input_ids"]
    detokenizer = Detokenizer(decode, context=prompt)
    deltas = [detokenizer.push(token) for token in ids]
    assert "".join(deltas) + detokenizer.flush() == decode(ids) == text
    assert all("\ufffd" not in delta for delta in deltas)
    # Some characters span several tokens, so some tokens release nothing.
    assert "" in deltas


def stream(stops: Sequence[str], chunks: Sequence[str]) -> tuple[list[str], StopMatcher]:
    matcher = StopMatcher(stops)
    released = [matcher.feed(chunk) for chunk in chunks]
    released.append(matcher.flush())
    return released, matcher


def test_a_stop_sequence_across_chunks_is_never_released() -> None:
    released, matcher = stream(["###"], ["Answer #", "#", "# more", " text"])
    assert "".join(released) == "Answer "
    assert released[:2] == ["Answer ", ""]
    assert matcher.match is not None and matcher.match.sequence == "###"


def test_a_held_prefix_that_does_not_complete_is_released() -> None:
    released, matcher = stream(["###"], ["a #", "#b", " c"])
    assert released == ["a ", "##b", " c", ""]
    assert matcher.match is None
    released, matcher = stream(["END"], ["the E"])
    assert released == ["the ", "E"] and matcher.match is None


def test_the_match_ending_first_wins_and_ties_go_to_the_longest() -> None:
    _, matcher = stream(["abcd", "bc"], ["xabcd"])
    assert matcher.match is not None and matcher.match.sequence == "bc"
    released, matcher = stream(["b", "ab"], ["xab"])
    assert released[0] == "x"
    assert matcher.match is not None and matcher.match.sequence == "ab"


def test_chunking_does_not_change_the_result() -> None:
    text = "one. two!! three?!"
    stops = ["?!", "!!!", "two!"]
    whole, whole_matcher = stream(stops, [text])
    by_char, char_matcher = stream(stops, list(text))
    assert "".join(whole) == "".join(by_char) == "one. "
    assert whole_matcher.match == char_matcher.match


def test_output_text_with_multi_byte_stop_sequence_split_across_tokens() -> None:
    output = OutputText(byte_decode, ["日本"])
    released = [output.push(token) for token in byte_ids("ok 日本 more")]
    assert "".join(released) == output.text == "ok "
    assert output.stopped is not None and output.stopped.sequence == "日本"
    assert output.finish() == ""


def test_output_text_without_a_match_releases_everything_at_the_end() -> None:
    output = OutputText(byte_decode, ["STOP"])
    released = [output.push(token) for token in byte_ids("almost ST")]
    assert "".join(released) == "almost "
    assert output.finish() == "ST"
    assert output.text == "almost ST" and output.stopped is None
