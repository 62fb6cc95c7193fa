"""An ad-hoc ``Attribute`` call: text scored against a snapshot exactly as a completion would
be, with nothing stored, published or settled."""

from __future__ import annotations

import re
from dataclasses import dataclass

from openledger_attribution.domain.explain import ExplainLimits, Explanation
from openledger_attribution.domain.model import ContributorResult, FeeSplitAmounts
from openledger_attribution.domain.policy import Method, MethodWeights
from openledger_attribution.settlement.evidence import ScoringParameters
from openledger_kit.errors import InvalidArgument

MAX_TEXT_BYTES = 32 * 1024
_SNAPSHOT = re.compile(r"datanets/[^/\s]+/snapshots/[^/\s]+")
_ADAPTER = re.compile(r"[^@/\s]+@[1-9][0-9]*")


@dataclass(frozen=True)
class AdHocRequest:
    text: str
    """Scored as if it were a model output."""
    prompt: str = ""
    """What the text answers; the gradient method's loss is the text's given the prompt."""
    snapshot: str = ""
    """``datanets/{datanet}/snapshots/{snapshot}``; required."""
    adapter: str = ""
    """``{adapter_id}@{version}`` trained on ``snapshot``; required for GRADIENT/COMBINED."""
    method: Method | None = None
    """None lets the service choose (as for a completion)."""
    fee: int | None = None
    """A hypothetical fee (wei) to split with the current governed parameters."""
    explain: ExplainLimits | None = None
    """Also explain the result, with these limits."""

    def validate(self) -> None:
        """``InvalidArgument`` naming the first malformed field (the proto's rules)."""
        if not self.text:
            raise InvalidArgument("text", "is required")
        if len(self.text.encode("utf-8")) > MAX_TEXT_BYTES:
            raise InvalidArgument("text", f"is over {MAX_TEXT_BYTES} bytes of UTF-8")
        if len(self.prompt.encode("utf-8")) > MAX_TEXT_BYTES:
            raise InvalidArgument("prompt", f"is over {MAX_TEXT_BYTES} bytes of UTF-8")
        if not self.snapshot:
            raise InvalidArgument("snapshot", "is required")
        if not _SNAPSHOT.fullmatch(self.snapshot):
            raise InvalidArgument(
                "snapshot",
                f"must be datanets/{{datanet}}/snapshots/{{snapshot}}: {self.snapshot!r}",
            )
        if self.adapter and not _ADAPTER.fullmatch(self.adapter):
            raise InvalidArgument(
                "adapter", f"must be {{adapter_id}}@{{version}}: {self.adapter!r}"
            )
        if self.method in (Method.GRADIENT, Method.COMBINED) and not self.adapter:
            raise InvalidArgument("adapter", f"is required for method {self.method}")
        if self.fee is not None and self.fee < 0:
            raise InvalidArgument("fee", "must not be negative")


@dataclass(frozen=True)
class AdHocResult:
    weights: MethodWeights
    parameters: ScoringParameters
    threshold_bps: int
    snapshot_merkle_root: bytes
    contributors: tuple[ContributorResult, ...]
    """Non-zero scores, by score descending, then address ascending; amounts 0 without a fee."""
    fee_split: FeeSplitAmounts | None
    """None when no fee was given."""
    explanation: Explanation | None
