"""The worker fleet: consumer-group members that attribute completions
(``AttributionWorker``) and loops that settle the attributions on chain (``SettlementLoop``).
Any number run side by side, in one process or many, over one database."""

from openledger_attribution.workers.completions import GROUP, AttributionWorker
from openledger_attribution.workers.settlement import SettlementLoop

__all__ = ["GROUP", "AttributionWorker", "SettlementLoop"]
