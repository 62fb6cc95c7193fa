"""Adversarial checks on one text, and the contributor-level rules: reputation and slashing.

Per text (``adversarial_score``): detectors for prompt injection (instructions aimed at a
model that will later read the record: "ignore previous instructions", role and chat-template
markers, jailbreak personas, requests to reveal a system prompt) and for poisoning tricks that
hide content from human reviewers (zero-width and bidirectional control characters, words
mixing Latin with Cyrillic or Greek look-alikes). Each detector that fires contributes its
weight w; the score is 1 - prod(1 - w), so independent weak signals add up and one strong
signal suffices. At ``ADVERSARIAL_THRESHOLD`` the text is rejected as ADVERSARIAL.

Per contributor: near-duplicate flooding is not a property of one text (any single duplicate
may be an honest collision) but of a contributor's recent outcomes, so it is scored over the
slashing window (``flooding_score``) and folds into the reputation and slashing rules below.

Reputation (0 worst .. 1 best) is the proto's ``Contributor.reputation``: the Laplace-smoothed
acceptance rate (accepted + 1) / (accepted + rejected + 2). A newcomer starts at 0.5; every
rejection, duplicates and injections included, pulls it toward 0, every acceptance toward 1,
each by less as the history grows. ``update_reputation`` applies one outcome to the counts.

Slashing (``should_slash``): over the contributor's last ``slash_window_size`` curated
contributions since their last slash, once the window is full, the fraction rejected for a
reason in the policy's counted reasons reaches ``slash_rejection_rate``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from .outcome import Outcome
from .policy import DUPLICATE_REASONS, Policy

ADVERSARIAL_THRESHOLD = 0.5

_I = re.IGNORECASE
_INJECTION: tuple[tuple[str, float, re.Pattern[str]], ...] = (
    (
        "ignore_instructions",
        0.9,
        re.compile(
            r"\b(?:ignore|disregard|forget|override|skip)\b[\w\s,]{0,20}?"
            r"\b(?:previous|prior|above|earlier|preceding|all|any|your|the|system|original)\b"
            r"[\w\s]{0,20}?\b(?:instructions?|prompts?|rules|directions|guidelines|directives"
            r"|context|messages?)\b",
            _I,
        ),
    ),
    (
        "reveal_prompt",
        0.85,
        re.compile(
            r"\b(?:reveal|print|show|repeat|leak|output|tell\s+me|display|dump)\b[\w\s]{0,12}?"
            r"\b(?:system|hidden|initial|original|secret)\s+(?:prompt|instructions|message)",
            _I,
        ),
    ),
    (
        "chat_template_tokens",
        0.8,
        re.compile(
            r"<\|(?:im_start|im_end|system|user|assistant|endoftext|begin_of_text"
            r"|start_header_id|end_header_id|eot_id)\|>|\[/?INST\]|<</?SYS>>",
            _I,
        ),
    ),
    (
        "persona_jailbreak",
        0.8,
        re.compile(
            r"\byou\s+are\s+now\b[\w\s,]{0,30}?\b(?:DAN|unrestricted|unfiltered|uncensored"
            r"|jailbroken|free\s+from|developer\s+mode|no\s+longer\s+bound)"
            r"|\bdo\s+anything\s+now\b|\bjailbreak(?:ing|en)?\b"
            r"|\b(?:developer|god|DAN)\s+mode\b",
            _I,
        ),
    ),
    (
        "bypass_safety",
        0.8,
        re.compile(
            r"\b(?:bypass|disable|ignore|turn\s+off|circumvent)\b[\w\s]{0,12}?"
            r"\b(?:safety|content|moderation|ethical)\s+(?:filters?|polic(?:y|ies)|guidelines"
            r"|rules|restrictions|guardrails)"
            r"|\bpretend\b[\w\s]{0,20}?\b(?:no|without)\s+(?:rules|restrictions|limits|filters)"
            r"|\bact\s+as\b[\w\s]{0,12}?\b(?:unfiltered|unrestricted|uncensored)\b",
            _I,
        ),
    ),
    (
        "role_marker",
        0.5,
        re.compile(
            r"(?:^|\n)\s*(?:#{2,}\s*)?(?:system|assistant)\s*(?:prompt)?\s*:"
            r"|#{2,}\s*(?:new\s+)?instructions?\s*:|\bnew\s+instructions\s*:",
            _I,
        ),
    ),
    ("mentions_system_prompt", 0.3, re.compile(r"\bsystem\s+prompt\b", _I)),
)
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_WORD = re.compile(r"[^\W\d_]{2,}")
_INVISIBLE_WEIGHT = 0.6
_BIDI_WEIGHT = 0.7
_HOMOGLYPH_WEIGHT = 0.5


@dataclass(frozen=True)
class AdversarialFinding:
    """What the per-text detectors saw: the combined score and the detectors that fired."""

    score: float
    detectors: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        return self.score >= ADVERSARIAL_THRESHOLD


def _scripts(word: str) -> set[str]:
    return {unicodedata.name(char, "?").split(" ")[0] for char in word}


def adversarial_score(text: str) -> AdversarialFinding:
    """Run every per-text detector on ``text``."""
    fired: list[tuple[str, float]] = [
        (name, weight) for name, weight, pattern in _INJECTION if pattern.search(text)
    ]
    if _INVISIBLE.search(text):
        fired.append(("invisible_characters", _INVISIBLE_WEIGHT))
    if _BIDI.search(text):
        fired.append(("bidi_controls", _BIDI_WEIGHT))
    if not text.isascii() and any(
        len(_scripts(word) & {"LATIN", "CYRILLIC", "GREEK"}) > 1 for word in _WORD.findall(text)
    ):
        fired.append(("mixed_script_words", _HOMOGLYPH_WEIGHT))
    benign = 1.0
    for _, weight in fired:
        benign *= 1.0 - weight
    return AdversarialFinding(1.0 - benign, tuple(name for name, _ in fired))


def reputation(accepted: int, rejected: int) -> float:
    """The Laplace-smoothed acceptance rate, (accepted + 1) / (accepted + rejected + 2)."""
    return (accepted + 1) / (accepted + rejected + 2)


def update_reputation(accepted: int, rejected: int, outcome: Outcome) -> tuple[int, int, float]:
    """Counts and reputation after one more curated ``outcome``."""
    if outcome.accepted:
        accepted += 1
    else:
        rejected += 1
    return accepted, rejected, reputation(accepted, rejected)


def is_counted(policy: Policy, outcome: Outcome) -> bool:
    """Whether ``outcome`` is a rejection the policy counts toward slashing."""
    return not outcome.accepted and bool(outcome.reasons & policy.effective_counted_reasons)


@dataclass(frozen=True)
class WindowStats:
    """The slashing window as ``Contributor`` reports it."""

    curated: int
    counted_rejections: int

    @property
    def rejection_rate(self) -> float:
        return self.counted_rejections / self.curated if self.curated else 0.0


def window_stats(policy: Policy, recent_outcomes: Sequence[Outcome]) -> WindowStats:
    """Stats over the last ``slash_window_size`` of ``recent_outcomes`` (oldest first, all
    curated since the contributor's last slash)."""
    window = list(recent_outcomes)[-policy.effective_slash_window_size :]
    return WindowStats(len(window), sum(1 for outcome in window if is_counted(policy, outcome)))


def should_slash(policy: Policy, recent_outcomes: Sequence[Outcome]) -> bool:
    """Whether the slashing rule triggers: slashing enabled, the window full, and the counted
    rejection rate at or above ``slash_rejection_rate``. The caller restarts the window (drops
    these outcomes) after a slash."""
    if policy.slash_rejection_rate <= 0.0:
        return False
    stats = window_stats(policy, recent_outcomes)
    if stats.curated < policy.effective_slash_window_size:
        return False
    return stats.rejection_rate >= policy.slash_rejection_rate


def flooding_score(recent_outcomes: Sequence[Outcome]) -> float:
    """Fraction of ``recent_outcomes`` rejected as exact, near or semantic duplicates: 0 for an
    honest contributor with the odd collision, near 1 for one resubmitting variants of the
    same records. Informational; a curator who wants flooding slashed counts the duplicate
    reasons in ``slash_counted_reasons``."""
    if not recent_outcomes:
        return 0.0
    duplicates = sum(1 for outcome in recent_outcomes if outcome.reasons & DUPLICATE_REASONS)
    return duplicates / len(recent_outcomes)


@dataclass
class ReputationTracker:
    """One contributor's standing in one datanet, held in memory: counts, reputation and the
    slashing window. ``record`` applies one curated outcome and says whether it triggers a
    slash (then the window restarts, as the proto's ``window_curated_count`` does)."""

    policy: Policy
    accepted: int = 0
    rejected: int = 0
    slashes: int = 0
    window: list[Outcome] = field(default_factory=list)

    @property
    def reputation(self) -> float:
        return reputation(self.accepted, self.rejected)

    @property
    def window_stats(self) -> WindowStats:
        return window_stats(self.policy, self.window)

    @property
    def flooding_score(self) -> float:
        return flooding_score(self.window)

    def record(self, outcome: Outcome) -> bool:
        """Count ``outcome``; True when it completes a window that must be slashed."""
        self.accepted, self.rejected, _ = update_reputation(self.accepted, self.rejected, outcome)
        self.window.append(outcome)
        del self.window[: -self.policy.effective_slash_window_size]
        if should_slash(self.policy, self.window):
            self.slashes += 1
            self.window.clear()
            return True
        return False
