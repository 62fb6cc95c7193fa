"""Quality measures as the proto defines them, language identification and the quality score."""

from __future__ import annotations

import pytest

from openledger_datanet.domain.curation.quality import (
    detect_language,
    measure,
    quality_score,
    repetition_ratio,
    symbol_ratio,
)

PROSE = (
    "Doctors usually advise patients to drink plenty of water while taking ibuprofen, "
    "and to book a follow-up visit if the dizziness lasts longer than three days."
)


def test_repetition_ratio_is_one_minus_distinct_over_all_ngrams() -> None:
    assert repetition_ratio("a b c d e", 3) == 0.0
    # 8 words -> 6 trigrams, of which "a b c", "b c a", "c a b" are distinct: 1 - 3/6.
    assert repetition_ratio("a b c a b c a b", 3) == pytest.approx(0.5)
    assert repetition_ratio("A b, C a B c", 3) == pytest.approx(1 - 3 / 4)  # casefolded words
    assert repetition_ratio("too short", 3) == 0.0


def test_symbol_ratio_counts_neither_letters_digits_nor_whitespace() -> None:
    assert symbol_ratio("") == 0.0
    assert symbol_ratio("abc 123\n\tÉß٣") == 0.0  # Unicode letters and digits, any whitespace
    assert symbol_ratio("a!b?") == pytest.approx(0.5)
    assert symbol_ratio("$$$") == 1.0


def test_language_identification_ships_its_model() -> None:
    assert detect_language(PROSE)[0] == "en"
    german = "Der Arzt empfiehlt, mehr Wasser zu trinken und früher schlafen zu gehen."
    assert detect_language(german)[0] == "de"
    language, confidence = detect_language(
        "Le marché du samedi matin est le meilleur moment pour acheter des légumes."
    )
    assert language == "fr" and 0.5 <= confidence <= 1.0
    assert detect_language("!!! ### $$$") == ("", 0.0)


def test_quality_score_ranks_prose_above_junk() -> None:
    prose = measure(PROSE, 3).quality_score
    assert prose > 0.8
    junk = {
        "keyboard mash": "asdfgh qwerty zxcvb lkjhg poiuy mnbvc",
        "shouting": "BUY NOW THE BEST PRICE EVER ON EVERY ITEM IN THE STORE TODAY",
        "repeated": "click here to win " * 6,
        "symbol soup": "#$% &*( wow @@@ !!! ^^^ lol ~~~",
        "one word": "hello",
    }
    for name, text in junk.items():
        assert measure(text, 3).quality_score < 0.4, name
    assert quality_score("", 0.0, 0.0) == 0.0


def test_measure_reports_everything() -> None:
    stats = measure(PROSE, 3)
    assert stats.length_chars == len(PROSE)
    assert stats.words == len(PROSE.split()) + 1  # "follow-up" is two words
    assert stats.language == "en" and stats.language_confidence > 0.9
    assert stats.repetition_ratio == 0.0 and 0 < stats.symbol_ratio < 0.05
    assert measure(PROSE, 3, language=False).language == ""
