"""Text quality measures: length, repetition and symbol ratios, language and a quality score.

The ratios are defined by ``CurationPolicy`` in the proto. Language identification is
``py3langid`` (langid.py's naive Bayes model over byte n-grams, 97 languages, shipped inside
the wheel: nothing is downloaded), with probabilities normalised so the confidence is in
[0, 1].

The quality score is a rule-based model in the spirit of the Gopher quality filters (Rae et al.
2021, "Scaling Language Models", appendix A): each rule maps one property of natural prose to
a factor in [0, 1] and the score is their product, so one gross defect (keyboard mash, a wall
of capitals, no words at all) sinks a text while mild deviations cost little. The rules and
their breakpoints are in ``quality_score``; the corpus test measures the score on clean prose
(> 0.7) and on junk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

MIN_LANGUAGE_CONFIDENCE = 0.5
"""Below this normalised probability the language counts as undetermined (empty)."""
NO_LANGUAGE = "zxx"
"""langid's label for text without linguistic content (keyboard mash, code-like strings)."""

_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"\S+")
_LETTER = re.compile(r"[^\W\d_]")
_VOWELS = frozenset("aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœ")

# Function words of the Latin-script languages datanets most often hold. Natural prose in any
# of them carries several per sentence; machine junk and keyboard mash carry none.
_STOPWORDS = frozenset(
    """a an and are as at be but by for from has have in is it its not of on or that the this
    to was were will with you we they he she which who can our your
    der die das und ist nicht mit den dem ein eine zu von auf für sich des im sie wir
    le la les et est un une des du en que pour dans pas sur au il elle nous vous qui avec
    el los las y es por con para una del se lo como su al
    il di che non per con una sono della alla gli
    o os as e um uma do da dos das em com não para
    de het een en is van op te dat niet met voor zijn""".split()
)


@dataclass(frozen=True)
class TextStats:
    """Everything the quality checks measure of one text."""

    length_chars: int
    words: int
    repetition_ratio: float
    symbol_ratio: float
    language: str
    language_confidence: float
    quality_score: float


@cache
def _identifier() -> Any:
    # ~0.5 s to decompress the model; once per process.
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def classify_language(text: str) -> tuple[str, float]:
    """The model's raw ``(label, probability)``; "" and 0 for a text without letters. Labels
    are ISO 639 codes, plus "zxx" for text without linguistic content."""
    if not _LETTER.search(text):
        return "", 0.0
    label, confidence = _identifier().classify(text)
    return str(label), float(confidence)


def detect_language(text: str) -> tuple[str, float]:
    """``(ISO 639-1 code, confidence)``; the code is "" when the text has no letters, the
    model is less sure than ``MIN_LANGUAGE_CONFIDENCE``, or it names no ISO 639-1 language."""
    return _as_iso639_1(*classify_language(text))


def _as_iso639_1(label: str, confidence: float) -> tuple[str, float]:
    if confidence < MIN_LANGUAGE_CONFIDENCE or len(label) != 2:
        return "", confidence
    return label, confidence


def words(text: str) -> list[str]:
    """Casefolded ``\\w+`` runs."""
    return _WORD.findall(text.casefold())


def repetition_ratio(text: str, ngram: int) -> float:
    """1 - distinct word n-grams / all word n-grams; 0 for texts with fewer than n words."""
    tokens = words(text)
    total = len(tokens) - ngram + 1
    if total <= 0:
        return 0.0
    distinct = len({tuple(tokens[i : i + ngram]) for i in range(total)})
    return 1.0 - distinct / total


def symbol_ratio(text: str) -> float:
    """Fraction of code points that are neither letters, digits (numbers) nor whitespace."""
    if not text:
        return 0.0
    symbols = sum(1 for char in text if not (char.isalnum() or char.isspace()))
    return symbols / len(text)


def _ramp(value: float, zero: float, one: float) -> float:
    """0 at ``zero``, 1 at ``one``, linear between (either order), clamped."""
    if zero == one:
        return 1.0 if value >= one else 0.0
    return min(1.0, max(0.0, (value - zero) / (one - zero)))


def _is_latin(text: str) -> bool:
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return False
    # Basic Latin through Latin Extended-B, and Latin Extended Additional.
    latin = sum(1 for char in letters if char < "\u0250" or "\u1e00" <= char <= "\u1eff")
    return latin / len(letters) >= 0.8


def quality_score(
    text: str, repetition: float, symbols: float, no_language_confidence: float = 0.0
) -> float:
    """The rule-based quality score in [0, 1] (see the module docstring).

    Rules, each a factor: at least 5 words (ramp from 1 word); >= 80% of tokens hold a letter
    (ramp from 50%); at most half the letters upper case (ramp to 0 at 90%); repetition and
    symbol ratios (1 - r, and 1 - 2s); 1 - the language model's probability that the text
    has no linguistic content (``no_language_confidence``); for Latin-script text, a mean
    word length of 3-10 letters, a vowel share of letters of 0.25-0.6, and at least two
    function words among texts of 6 words or more (keyboard mash has none).
    """
    tokens = _TOKEN.findall(text)
    word_list = words(text)
    if not word_list:
        return 0.0
    score = _ramp(len(word_list), 0, 5)
    alpha_tokens = sum(1 for token in tokens if _LETTER.search(token))
    score *= _ramp(alpha_tokens / len(tokens), 0.5, 0.8)
    letters = [char for char in text if char.isalpha()]
    if letters:
        upper = sum(1 for char in letters if char.isupper()) / len(letters)
        score *= _ramp(upper, 0.9, 0.5)
    score *= 1.0 - repetition
    score *= max(0.0, 1.0 - 2.0 * symbols)
    score *= 1.0 - no_language_confidence
    if _is_latin(text):
        alpha_words = [word for word in word_list if word.isalpha()]
        if alpha_words:
            mean_length = sum(map(len, alpha_words)) / len(alpha_words)
            score *= _ramp(mean_length, 1.5, 3.0) * _ramp(mean_length, 14.0, 10.0)
        lower = "".join(letters).lower()
        vowels = sum(1 for char in lower if char in _VOWELS) / len(lower) if lower else 0.0
        score *= _ramp(vowels, 0.1, 0.25) * _ramp(vowels, 0.75, 0.6)
        if len(word_list) >= 6:
            function_words = sum(1 for word in word_list if word in _STOPWORDS)
            score *= (0.3, 0.8, 1.0)[min(function_words, 2)]
    return max(0.0, min(1.0, score))


def measure(text: str, ngram: int, *, language: bool = True) -> TextStats:
    """All measures of ``text``; ``language=False`` skips the (slowest) language model."""
    repetition = repetition_ratio(text, ngram)
    symbols = symbol_ratio(text)
    label, confidence = classify_language(text) if language else ("", 0.0)
    code, confidence = _as_iso639_1(label, confidence)
    no_language = confidence if label == NO_LANGUAGE else 0.0
    return TextStats(
        length_chars=len(text),
        words=len(words(text)),
        repetition_ratio=repetition,
        symbol_ratio=symbols,
        language=code,
        language_confidence=confidence,
        quality_score=quality_score(text, repetition, symbols, no_language),
    )
