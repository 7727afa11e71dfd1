"""Learning curves for the examples, as PNG files (needs matplotlib)."""

from __future__ import annotations

from collections.abc import Sequence

from ..extensions.plot import spans_decades


def save_curve(path: str, curves: dict[str, Sequence[tuple[float, float]]], title: str,
               ylabel: str, xlabel: str = "updates") -> None:
    """Draw each named curve of ``(x, y)`` points into ``path``; say so if matplotlib is missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print("(no plot: pip install matplotlib)")
        return
    figure = Figure(figsize=(5.5, 3.5))
    axes = figure.subplots()
    for name, points in curves.items():
        if points:
            axes.plot(*zip(*points), marker="o", markersize=3, label=name)
    if spans_decades([y for points in curves.values() for _, y in points]):
        axes.set_yscale("log")
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    print(f"learning curve written to {path}")


def epoch_curve(history: list[dict], key: str) -> list[tuple[int, float]]:
    """``(epoch, value)`` points of ``key`` from the epoch rows a model's ``train`` returns."""
    return [(i + 1, row[key]) for i, row in enumerate(history) if key in row]
