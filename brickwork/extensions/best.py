"""Tracking the best value of a logged quantity, and stopping when it stalls."""

from __future__ import annotations

from collections.abc import Callable

from .base import Extension


class TrackTheBest(Extension):
    """After each epoch, mark rows where ``record_name`` reaches a new best.

    The row gets ``notification_name`` (default ``<record_name>_best_so_far``) = True.
    """

    def __init__(self, record_name: str, notification_name: str | None = None,
                 choose_best: Callable = min):
        super().__init__(after_epoch=True, after_training=False)
        self.record_name = record_name
        self.notification_name = notification_name or f"{record_name}_best_so_far"
        self.choose_best = choose_best
        self.best: float | None = None

    def do(self, callback):
        value = self.log.current_row.get(self.record_name)
        if value is None:
            return
        if self.best is None or self.choose_best(value, self.best) == value and value != self.best:
            self.best = value
            self.log.current_row[self.notification_name] = True


class FinishIfNoImprovementAfter(Extension):
    """Stop when ``notification_name`` has not been logged for ``epochs`` epochs.

    With ``restore_best=True`` (default), the parameters of the best epoch are
    restored when training stops this way.
    """

    def __init__(self, notification_name: str, epochs: int = 5, restore_best: bool = True):
        super().__init__(after_epoch=True)
        self.notification_name, self.epochs, self.restore_best = notification_name, epochs, restore_best
        self.best_epoch = 0
        self.best_values: list | None = None

    def do(self, callback):
        status, parameters = self.main_loop.status, self.main_loop.algorithm.parameters
        if self.log.current_row.get(self.notification_name):
            self.best_epoch = status["epochs_done"]
            self.best_values = [p.get_value() for p in parameters]
        elif status["epochs_done"] - self.best_epoch >= self.epochs:
            status["training_finish_requested"] = True
            if self.restore_best and self.best_values is not None:
                for param, value in zip(parameters, self.best_values):
                    param.set_value(value)
            self.log.current_row["restored_best_of_epoch"] = self.best_epoch
