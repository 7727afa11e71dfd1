"""Figures for the examples, as PNG files (needs matplotlib).

Each figure shows what its numbers mean: learning curves with the
validation curve beside the training one, and the baseline the model must
beat drawn as a dashed line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..extensions.plot import spans_decades

Points = Sequence[tuple[float, float]]


@dataclass
class Panel:
    """One chart: named curves of ``(x, y)`` points, and baselines as horizontal lines."""

    title: str
    ylabel: str
    curves: dict[str, Points]
    xlabel: str = "updates"
    baselines: dict[str, float] = field(default_factory=dict)
    markers: bool = True
    log_scale: bool | None = None  # None: logarithmic when the values span more than two decades


def save_panels(path: str, panels: Sequence[Panel], title: str = "") -> None:
    """Draw ``panels`` side by side into ``path``; say so if matplotlib is missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print("(no plot: pip install matplotlib)")
        return
    figure = Figure(figsize=(5.2 * len(panels), 3.6))
    for axes, panel in zip(figure.subplots(1, len(panels), squeeze=False)[0], panels):
        _draw(axes, panel)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    print(f"figure written to {path}")


def _draw(axes, panel: Panel) -> None:
    for name, points in panel.curves.items():
        if points:  # markers only where they can be told apart
            style = {"marker": "o", "markersize": 3} if panel.markers and len(points) <= 60 else {}
            axes.plot(*zip(*points), label=name, **style)
    for i, (name, value) in enumerate(panel.baselines.items()):
        axes.axhline(value, linestyle="--", color=f"C{len(panel.curves) + i}", label=name)
    values = [y for points in panel.curves.values() for _, y in points] + list(panel.baselines.values())
    if panel.log_scale or (panel.log_scale is None and spans_decades(values)):
        axes.set_yscale("log")
    axes.set(title=panel.title, xlabel=panel.xlabel, ylabel=panel.ylabel)
    axes.legend(fontsize=8)


def save_curve(path: str, curves: dict[str, Points], title: str, ylabel: str, xlabel: str = "updates",
               baselines: dict[str, float] | None = None) -> None:
    """One chart of ``curves`` (and dashed ``baselines``) into ``path``."""
    save_panels(path, [Panel(title, ylabel, curves, xlabel, baselines or {})])


def epoch_curve(history: list[dict], key: str) -> list[tuple[int, float]]:
    """``(epoch, value)`` points of ``key`` from the epoch rows a model's ``train`` returns."""
    return [(i + 1, row[key]) for i, row in enumerate(history) if key in row]
