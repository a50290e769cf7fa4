"""One table for every figure: the figure, its floor measured in the same run, the ratio, the target."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass
class Row:
    name: str
    value: float | None
    unit: str
    floor: float | None = None
    floor_name: str = ""
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    started: datetime = field(default_factory=datetime.now)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        print(_line(row), flush=True)
        return row

    def table(self) -> str:
        head = "| figure | value | floor (same run) | ratio | target | met |\n|---|---|---|---|---|---|\n"
        return head + "\n".join(_line(r) for r in self.rows)

    def write(self, path: Path, command: str, elapsed_s: float) -> None:
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        text = (
            "# govern benchmark results\n\n"
            f"- date: {self.started:%Y-%m-%d %H:%M}\n"
            f"- command: `{command}`\n"
            f"- machine: {os.cpu_count()} cores, {mem_gib:.0f} GiB memory, {platform.platform()}, Python {platform.python_version()}\n"
            f"- wall time: {elapsed_s:.0f} s\n\n"
            "Every figure is measured against a floor measured in the same run on the same machine, so the\n"
            "ratios (not the absolute numbers) are what to compare between machines.\n\n"
            + self.table()
            + "\n\n"
            + "\n".join(f"- **{r.name}**: {r.note}" for r in self.rows if r.note)
            + "\n"
        )
        path.write_text(text, encoding="utf-8")


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _line(r: Row) -> str:
    floor = f"{_fmt(r.floor)} ({r.floor_name})" if r.floor is not None else "—"
    met = "—" if r.ok is None else ("yes" if r.ok else "**no**")
    return f"| {r.name} | {_fmt(r.value)} {r.unit} | {floor} | {_fmt(r.ratio)} | {r.target} | {met} |"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]
