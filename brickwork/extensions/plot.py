"""``Plot``: a PNG chart of logged quantities (needs matplotlib)."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import TrainingError
from .base import Extension


class Plot(Extension):
    """Draw ``channels`` (log names) against iterations into ``path``."""

    rank_zero_only = True

    def __init__(self, path: str, channels: Sequence[str], every_n_epochs: int = 1):
        super().__init__(every_n_epochs=every_n_epochs, after_training=True)
        self.path, self.channels = path, list(channels)

    def do(self, callback):
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError as error:
            raise TrainingError("Plot needs matplotlib: pip install 'brickwork[examples]'") from error
        figure, axes = plt.subplots(figsize=(6, 4))
        for channel in self.channels:
            points = sorted((i, row[channel]) for i, row in self.log.items() if channel in row)
            if points:
                axes.plot(*zip(*points), label=channel)
        axes.set_xlabel("iterations")
        axes.legend()
        figure.tight_layout()
        figure.savefig(self.path)
        plt.close(figure)
