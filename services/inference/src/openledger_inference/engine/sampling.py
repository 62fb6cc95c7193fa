"""Choosing each row's next token from its logits: greedy, or temperature / top-k / top-p
sampling, after a CTRL-style repetition penalty over the prompt and output tokens.

Every row draws from its own ``torch.Generator`` (on the CPU, whatever the model's device), one
uniform number per step, so a seeded request produces the same tokens whichever requests share
its batch and on whichever device it runs."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from openledger_inference.domain.model import Sampling


class RowSampler:
    """The sampling state of one sequence: its parameters, random generator and the tokens a
    repetition penalty applies to."""

    def __init__(self, sampling: Sampling, prompt_token_ids: Sequence[int], device: str) -> None:
        self.sampling = sampling
        self.generator = torch.Generator(device="cpu")
        if sampling.seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(sampling.seed)
        self._seen = torch.tensor(sorted(set(prompt_token_ids)), dtype=torch.long, device=device)
        self._penalised = sampling.repetition_penalty != 1.0

    @property
    def plain_greedy(self) -> bool:
        """The row's token is the argmax of its raw logits."""
        return self.sampling.greedy and not self._penalised

    def record(self, token_id: int) -> None:
        if self._penalised and not bool((self._seen == token_id).any()):
            token = torch.tensor([token_id], dtype=torch.long, device=self._seen.device)
            self._seen = torch.cat([self._seen, token])

    def choose(self, logits: torch.Tensor) -> int:
        """The next token from this row's ``[vocab]`` float32 logits."""
        if self._penalised:
            logits = _penalise(logits, self._seen, self.sampling.repetition_penalty)
        if self.sampling.greedy:
            return int(logits.argmax())
        logits = logits / self.sampling.temperature
        if 0 < self.sampling.top_k < logits.numel():
            kth = torch.topk(logits, self.sampling.top_k).values[-1]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        probs = torch.softmax(logits, dim=-1)
        if self.sampling.top_p < 1.0:
            probs = _nucleus(probs, self.sampling.top_p)
        cumulative = probs.cumsum(dim=-1)
        draw = torch.rand((), generator=self.generator).item() * float(cumulative[-1])
        target = torch.tensor([draw], device=probs.device)
        # The first token whose cumulative mass exceeds the draw: never one of probability 0.
        index = int(torch.searchsorted(cumulative, target, right=True))
        if index >= probs.numel():  # the draw rounded up to the total mass
            index = int(probs.nonzero()[-1])
        return index


def choose_tokens(logits: torch.Tensor, rows: Sequence[RowSampler]) -> list[int]:
    """One token per row of ``[rows, vocab]`` logits; plain greedy rows in one argmax."""
    logits = logits.float()
    argmax = logits.argmax(dim=-1).tolist()
    return [argmax[i] if row.plain_greedy else row.choose(logits[i]) for i, row in enumerate(rows)]


def _penalise(logits: torch.Tensor, seen: torch.Tensor, penalty: float) -> torch.Tensor:
    # CTRL (Keskar et al. 2019): a seen token's logit is divided by the penalty when positive and
    # multiplied when negative, so a penalty above 1 always makes it less likely.
    picked = logits[seen]
    picked = torch.where(picked > 0, picked / penalty, picked * penalty)
    return logits.scatter(0, seen, picked)


def _nucleus(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """``probs`` restricted to the smallest set of most likely tokens whose mass reaches
    ``top_p`` (the most likely token always stays)."""
    sorted_probs, order = probs.sort(descending=True)
    mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs
    sorted_probs = sorted_probs.masked_fill(mass_before >= top_p, 0.0)
    return torch.zeros_like(probs).scatter(0, order, sorted_probs)
