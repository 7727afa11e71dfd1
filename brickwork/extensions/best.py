"""Tracking the best value of a logged quantity, and stopping when it stalls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import TrainingError
from .base import Extension


class TrackTheBest(Extension):
    """After each epoch (or on the conditions given), mark rows where ``record_name`` reaches a new best.

    The row gets ``notification_name`` (default ``<record_name>_best_so_far``) = True.
    """

    def __init__(self, record_name: str, notification_name: str | None = None,
                 choose_best: Callable = min, **conditions: Any):
        conditions.setdefault("after_epoch", True)
        super().__init__(**conditions)
        self.record_name = record_name
        self.notification_name = notification_name or f"{record_name}_best_so_far"
        self.choose_best = choose_best
        self.best: float | None = None

    def do(self, callback: str, *args: Any) -> None:
        value = self.log.current_row.get(self.record_name)
        if value is None:
            return
        if self.best is None or self.choose_best(value, self.best) == value and value != self.best:
            self.best = value
            self.log.current_row[self.notification_name] = True

    def get_state(self) -> dict:
        """The best value so far."""
        return {"best": self.best}

    def set_state(self, state: dict) -> None:
        """Continue from a state that :meth:`get_state` returned."""
        self.best = state["best"]


class FinishIfNoImprovementAfter(Extension):
    """Stop when ``notification_name`` has not been logged for ``epochs`` epochs (or ``iterations``).

    As in Blocks, the patience left is written to the log every time it
    runs, under ``patience_log_record`` (default
    ``<notification_name>_patience_epochs`` or ``..._patience_iterations``).
    Give at most one of ``epochs`` and ``iterations``; with neither, 5
    epochs. With ``restore_best=True`` (default), the parameters of the best
    epoch are restored when training stops this way. Runs after every epoch
    unless conditions are given.
    """

    def __init__(self, notification_name: str, iterations: int | None = None, epochs: int | None = None,
                 patience_log_record: str | None = None, restore_best: bool = True, **conditions: Any):
        if iterations is not None and epochs is not None:
            raise TrainingError("FinishIfNoImprovementAfter: give epochs or iterations, not both")
        if iterations is None and epochs is None:
            epochs = 5
        conditions.setdefault("after_epoch", True)
        super().__init__(**conditions)
        self.notification_name, self.iterations, self.epochs = notification_name, iterations, epochs
        self.patience_log_record = patience_log_record or (
            f"{notification_name}_patience_{'epochs' if epochs is not None else 'iterations'}")
        self.restore_best = restore_best
        self.best_epoch = self.best_iteration = 0
        self.best_values: list | None = None

    def do(self, callback: str, *args: Any) -> None:
        status, parameters = self.main_loop.status, getattr(self.main_loop.algorithm, "parameters", [])
        if self.log.current_row.get(self.notification_name):
            self.best_epoch, self.best_iteration = status["epochs_done"], status["iterations_done"]
            self.best_values = [p.get_value() for p in parameters]
        if self.epochs is not None:
            patience = self.epochs - (status["epochs_done"] - self.best_epoch)
        else:
            patience = self.iterations - (status["iterations_done"] - self.best_iteration)
        self.log.current_row[self.patience_log_record] = patience
        if patience <= 0:
            status["training_finish_requested"] = True
            if self.restore_best and self.best_values is not None:
                for param, value in zip(parameters, self.best_values):
                    param.set_value(value)
            self.log.current_row["restored_best_of_epoch"] = self.best_epoch

    def get_state(self) -> dict:
        """The best epoch and iteration, and the parameter values then (arrays)."""
        return {"best_epoch": self.best_epoch, "best_iteration": self.best_iteration,
                "best_values": self.best_values}

    def set_state(self, state: dict) -> None:
        """Continue from a state that :meth:`get_state` returned."""
        self.best_epoch, self.best_iteration = state["best_epoch"], state["best_iteration"]
        values = state["best_values"]
        self.best_values = None if values is None else [np.array(v) for v in values]
