"""``Plot``: a PNG chart of logged quantities (needs matplotlib)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import TrainingError
from .base import Extension


class Plot(Extension):
    """Draw ``channels`` (log names) against iterations into the PNG file ``path``.

    The chart is drawn on a ``matplotlib.figure.Figure`` of its own, never
    through ``pyplot``, so the user's backend and open figures are left
    alone. It has a title and axis labels, and a logarithmic value axis when
    the values are positive and span more than two decades.

    Parameters
    ----------
    path : str
    channels : list of str
        Names in the log, such as ``'train_loss'`` and ``'valid_loss'``.
    every_n_epochs : int
    title : str, optional
        Default: the channel names.
    ylabel : str
    """

    rank_zero_only = True

    def __init__(self, path: str, channels: Sequence[str], every_n_epochs: int = 1, title: str | None = None,
                 ylabel: str = "value"):
        super().__init__(every_n_epochs=every_n_epochs, after_training=True)
        self.path, self.channels = path, list(channels)
        self.title, self.ylabel = title or ", ".join(self.channels), ylabel

    def do(self, callback: str) -> None:
        self.draw().savefig(self.path)

    def draw(self) -> Any:
        """The chart of the log so far, as a ``matplotlib.figure.Figure``."""
        try:
            from matplotlib.figure import Figure
        except ImportError as error:
            raise TrainingError("Plot needs matplotlib: pip install 'brickwork[examples]'") from error
        figure = Figure(figsize=(6, 4))
        axes = figure.subplots()
        values = []
        for channel in self.channels:
            points = sorted((i, row[channel]) for i, row in self.log.items() if channel in row)
            if points:
                axes.plot(*zip(*points), label=channel)
                values += [v for _, v in points]
        if spans_decades(values):
            axes.set_yscale("log")
        axes.set_xlabel("iterations (batches)")
        axes.set_ylabel(self.ylabel)
        axes.set_title(self.title)
        axes.legend()
        figure.tight_layout()
        return figure


def spans_decades(values: Sequence[float], decades: float = 2.0) -> bool:
    """Whether ``values`` are all positive and their range spans more than ``decades`` powers of ten."""
    return bool(values) and min(values) > 0 and max(values) / min(values) > 10 ** decades
