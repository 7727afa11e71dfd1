"""Extensions that stop, print, time and monitor training."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..data import as_stream
from ..distributed import shard_means
from ..errors import TrainingError
from ..graph import ComputationGraph, function
from ..tensor.variable import Variable
from .base import Extension


class FinishAfter(Extension):
    """Stop after ``after_n_epochs`` epochs or ``after_n_batches`` batches.

    Other conditions (``every_n_batches=``, ``after_epoch=``, ...) stop
    training whenever they hold, as Blocks' ``FinishAfter(**conditions)``.
    """

    def __init__(self, after_n_epochs: int | None = None, after_n_batches: int | None = None,
                 **conditions: Any):
        conditions.setdefault("after_batch", after_n_batches is not None)
        conditions.setdefault("after_epoch", after_n_epochs is not None)
        super().__init__(**conditions)
        self.after_n_epochs, self.after_n_batches = after_n_epochs, after_n_batches

    def do(self, callback: str, *args: Any) -> None:
        status = self.main_loop.status
        counted = self.after_n_batches is not None or self.after_n_epochs is not None
        if not counted or (self.after_n_batches is not None and status["iterations_done"] >= self.after_n_batches) \
                or (self.after_n_epochs is not None and status["epochs_done"] >= self.after_n_epochs):
            status["training_finish_requested"] = True


class Printing(Extension):
    """Print the status and the latest logged values after every epoch and after training.

    Further conditions (Blocks' ``before_first_epoch=True``, say) add more moments.
    """

    rank_zero_only = True

    def __init__(self, every_n_epochs: int = 1, every_n_batches: int | None = None, stream: Any = None,
                 **conditions: Any):
        conditions.setdefault("after_training", True)
        super().__init__(every_n_epochs=every_n_epochs, every_n_batches=every_n_batches, **conditions)
        self.stream = stream

    def do(self, callback: str, *args: Any) -> None:
        status = self.main_loop.status
        row = {k: v for k, v in self.log.current_row.items() if np.ndim(v) == 0}
        values = "  ".join(f"{k} {v:.6g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items())
        print(f"epoch {status['epochs_done']}  batch {status['iterations_done']}  {values}",
              file=self.stream or sys.stdout, flush=True)


class ProgressBar(Extension):
    """A tqdm bar per epoch with the batch cost on a terminal; one line per epoch otherwise.

    The line at the end of an epoch gives the epoch's logged values (such as
    ``train_loss``, the mean batch cost, and the validation metrics).
    """

    rank_zero_only = True

    def __init__(self) -> None:
        super().__init__(before_epoch=True, after_batch=True, after_epoch=True, after_training=True)
        self.bar, self.started = None, 0.0

    def do(self, callback: str) -> None:
        if callback == "before_epoch":
            self.started = time.perf_counter()
            self.bar = self._new_bar() if sys.stdout.isatty() else None
        elif callback == "after_batch" and self.bar is not None:
            self.bar.set_postfix(cost=f"{self.main_loop.algorithm.last_values.get('cost', float('nan')):.4g}",
                                 refresh=False)
            self.bar.update(1)
        elif callback == "after_epoch":
            values = _scalars(self.log.current_row, self.main_loop.algorithm.last_values)
            if self.bar is not None:
                self.bar.set_postfix_str(values)
                self.bar.close()
                self.bar = None
            else:
                status = self.main_loop.status
                print(f"epoch {status['epochs_done']}: {status['iterations_done']} batches, "
                      f"{time.perf_counter() - self.started:.2f} s  {values}", flush=True)
        elif self.bar is not None:
            self.bar.close()
            self.bar = None

    def _new_bar(self) -> Any:
        try:
            from tqdm import tqdm
        except ImportError:
            return None
        try:
            total = len(self.main_loop.data_stream)
        except TypeError:  # a stream of unknown length
            total = None
        return tqdm(total=total, desc=f"epoch {self.main_loop.status['epochs_done'] + 1}")


def _scalars(row: dict, batch_values: dict) -> str:
    """The numbers of ``row`` other than the last batch's own values, as ``name value`` pairs."""
    return "  ".join(f"{k} {v:.4g}" for k, v in row.items()
                     if isinstance(v, (float, np.floating)) and k not in batch_values)


class Timing(Extension):
    """Log ``time_epoch`` (seconds of the last epoch) and ``time_total``, across resumed runs."""

    def __init__(self) -> None:
        super().__init__(before_training=True, before_epoch=True, after_epoch=True, after_training=True)
        self.start = self.epoch_start = time.perf_counter()
        self.earlier = self.epoch_earlier = 0.0  # seconds spent before this run started

    def do(self, callback: str) -> None:
        now = time.perf_counter()
        if callback == "before_training":
            self.start = self.epoch_start = now
        elif callback == "before_epoch":
            self.epoch_start, self.epoch_earlier = now, 0.0
        elif callback == "after_epoch":
            state = self.get_state()
            self.log.current_row.update(time_epoch=state["epoch"], time_total=state["total"])
        else:
            self.set_state(self.get_state())

    def get_state(self) -> dict:
        """Seconds of training so far, and of the current epoch."""
        now = time.perf_counter()
        return {"total": self.earlier + now - self.start, "epoch": self.epoch_earlier + now - self.epoch_start}

    def set_state(self, state: dict) -> None:
        """Continue from a state that :meth:`get_state` returned."""
        self.earlier, self.epoch_earlier = state["total"], state["epoch"]
        self.start = self.epoch_start = time.perf_counter()


class TrainingDataMonitoring(Extension):
    """Log the mean over each epoch (or each batch's value) of ``variables``,
    computed with the training updates, as ``<prefix>_<name>``; an epoch cut
    short by the end of training is logged too.

    Every row of the log also holds the batch's own ``cost`` (from the
    algorithm); so ``train_cost`` (or ``train_loss``) is the epoch's mean of
    the batch costs, and the batch values of the cost are not logged twice.
    """

    def __init__(self, variables: Sequence[Variable], prefix: str = "train", after_batch: bool = False,
                 after_epoch: bool = True):
        super().__init__(before_training=True, before_epoch=True, after_batch=True, after_epoch=after_epoch,
                         after_training=after_epoch)
        self.variables, self.prefix, self.each_batch = list(variables), prefix, after_batch
        self.sums: dict[str, float] = {}
        self.count = 0

    def _reported_as(self, variable: Variable) -> str:
        """The algorithm's name for ``variable``'s batch value: the cost itself is logged once, as ``cost``."""
        return "cost" if variable is getattr(self.main_loop.algorithm, "cost", None) else variable.name

    def do(self, callback: str) -> None:
        names = [v.name for v in self.variables]
        if callback == "before_training":
            self.main_loop.algorithm.add_monitored([v for v in self.variables if self._reported_as(v) != "cost"])
        elif callback == "before_epoch":
            self.sums, self.count = dict.fromkeys(names, 0.0), 0
        elif callback == "after_batch":
            values = self.main_loop.algorithm.last_values
            self.count += 1
            for variable in self.variables:
                value = values[self._reported_as(variable)]
                self.sums[variable.name] = self.sums.get(variable.name, 0.0) + value
                if self.each_batch:
                    self.log.current_row[f"{self.prefix}_{variable.name}"] = value
        elif self.count and not _interrupted(self, callback):
            for name in names:
                self.log.current_row[f"{self.prefix}_{name}"] = self.sums[name] / self.count

    def get_state(self) -> dict:
        """The sums and the number of batches of the current epoch."""
        return {"sums": dict(self.sums), "count": self.count}

    def set_state(self, state: dict) -> None:
        """Continue from a state that :meth:`get_state` returned."""
        self.sums, self.count = dict(state["sums"]), state["count"]


def _interrupted(extension: Extension, callback: str) -> bool:
    """Whether this is the end of a run cut short by Ctrl-C: it is resumed later, so
    monitoring logs nothing extra there (a resumed log equals an uninterrupted one)."""
    return callback == "after_training" and extension.main_loop.status["interrupted"]


class DataStreamMonitoring(Extension):
    """Log the mean of ``variables`` over ``data_stream`` as ``<prefix>_<name>``
    (before training and after every epoch)."""

    def __init__(self, variables: Sequence[Variable], data_stream: Any, prefix: str = "valid",
                 every_n_epochs: int = 1, before_training: bool = True):
        super().__init__(every_n_epochs=every_n_epochs, before_training=before_training,
                         after_training=True)
        self.variables, self.prefix = list(variables), prefix
        self.data_stream = as_stream(data_stream)
        self.inputs = ComputationGraph(self.variables).inputs
        self._function: Callable | None = None

    def evaluate(self) -> dict[str, float]:
        """The mean of each variable over one pass of the stream.

        Raises
        ------
        TrainingError
            When the stream gives no batches (a mean over nothing is no loss).
        """
        if self._function is None:
            self._function = function(self.inputs, self.variables)
        totals, count = np.zeros(len(self.variables)), 0
        for batch in self.data_stream:
            totals += shard_means(self._evaluate_batch, batch, len(self.variables))
            count += 1
        if count == 0:
            raise TrainingError(f"DataStreamMonitoring (prefix {self.prefix!r}): its data stream gave no "
                                f"batches, so {[v.name for v in self.variables]} have no mean; "
                                "give it at least one batch")
        return {v.name: float(t) / count for v, t in zip(self.variables, totals)}

    def _evaluate_batch(self, batch: Any) -> list:
        args = [batch[v.name] for v in self.inputs] if isinstance(batch, dict) else list(batch)
        return [float(v) for v in self._function(*args)]

    def do(self, callback: str) -> None:
        if callback == "before_training" and self.main_loop.status["iterations_done"]:
            return  # resuming: the values before training are in the log already
        if _interrupted(self, callback):
            return
        for name, value in self.evaluate().items():
            self.log.current_row[f"{self.prefix}_{name}"] = value
