"""Normalisation (NFC, line ends, trimming) and text extraction by JSON Pointer."""

from __future__ import annotations

import unicodedata

from openledger_datanet.domain.curation.normalize import (
    extract_text,
    iter_strings,
    normalize_content,
    normalize_text,
    resolve,
)


def test_nfc_composes_decomposed_characters() -> None:
    decomposed = unicodedata.normalize("NFD", "café crème")
    assert decomposed != "café crème"
    assert normalize_text(decomposed) == "café crème"


def test_line_endings_become_lf_and_outer_whitespace_is_trimmed() -> None:
    assert normalize_text("  one\r\ntwo\rthree\n\t ") == "one\ntwo\nthree"
    # Inner whitespace is content: the proto only trims the ends.
    assert normalize_text("a  b\t c") == "a  b\t c"


def test_normalize_content_touches_every_string_value_but_no_key() -> None:
    content = {" k ": ["  x ", {"y": "e\u0301"}], "n": 1.5, "b": True, "z": None}
    assert normalize_content(content) == {" k ": ["x", {"y": "é"}], "n": 1.5, "b": True, "z": None}
    assert content[" k "] == ["  x ", {"y": "e\u0301"}]  # the input is not modified


def test_iter_strings_follows_canonical_json_key_order_with_escaped_pointers() -> None:
    # RFC 8785 orders keys by UTF-16 code units: U+1F600 (a surrogate pair, 0xD83D...) sorts
    # before U+E000, although it is the larger code point.
    content = {"\ue000": "private", "\U0001f600": "emoji", "a/b": "slash", "m~": ["x", "y"]}
    assert list(iter_strings(content)) == [
        ("/a~1b", "slash"),
        ("/m~0/0", "x"),
        ("/m~0/1", "y"),
        ("/\U0001f600", "emoji"),
        ("/\ue000", "private"),
    ]


def test_resolve_and_extract_text_by_pointer() -> None:
    content = {"q": "Question?", "a": {"text": "Answer.", "tags": ["t1", "t2"]}, "n": 3}
    assert resolve(content, "/a/tags/1") == "t2"
    assert resolve(content, "/a/tags/01") is None
    assert resolve(content, "/missing") is None
    assert extract_text(content, ["/q", "/a/text"]) == "Question?\nAnswer."
    assert extract_text(content, ["/a"]) == "t1\nt2\nAnswer."  # strings inside, canonical order
    assert extract_text(content, []) == "t1\nt2\nAnswer.\nQuestion?"
    assert extract_text(content, ["/n", "/missing"]) == ""
