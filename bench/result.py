"""What a benchmark reports, and how the harness prints it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Row:
    """One line of the human table: a measure of the subject and of the baseline."""

    measure: str
    value: float
    baseline: float
    unit: str

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")


@dataclass(frozen=True)
class BenchResult:
    """The headline (``value`` vs ``baseline`` in ``unit``), table rows and extra figures."""

    bench: str
    value: float
    baseline: float
    unit: str
    rows: list[Row] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")

    def json_line(self) -> str:
        """The machine-readable summary: one JSON object on one line."""
        return json.dumps(
            {
                "bench": self.bench,
                "value": round(self.value, 1),
                "unit": self.unit,
                "baseline": round(self.baseline, 1),
                "ratio": round(self.ratio, 3),
                **self.extra,
            },
            sort_keys=False,
        )

    def table(self) -> str:
        """A human-readable table of the rows."""
        header = ("bench", "measure", "value", "baseline", "ratio")
        lines = [
            (self.bench, f"{row.measure} ({row.unit})", f"{row.value:,.0f}", f"{row.baseline:,.0f}",
             f"{row.ratio:.2f}")
            for row in self.rows
        ]  # fmt: skip
        widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]

        def fmt(cells: tuple[str, ...]) -> str:
            return "  ".join(
                cell.ljust(width) if i < 2 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
            )

        rule = "  ".join("-" * width for width in widths)
        return "\n".join([fmt(header), rule, *(fmt(line) for line in lines)])
