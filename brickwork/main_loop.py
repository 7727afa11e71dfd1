"""``MainLoop``: feed batches to an algorithm, epoch after epoch, calling extensions.

Extensions are called at fixed points, as in Blocks: ``before_training``
(once per main loop), ``on_resumption`` (when a run starts with iterations
already done, say after a checkpoint was loaded), ``before_epoch``,
``before_batch`` and ``after_batch`` (with the batch), ``after_epoch``,
``on_interrupt``, ``on_error`` (with the exception) and ``after_training``.
An extension asks to stop by setting ``training_finish_requested`` in the
status or, as Blocks extensions do, in ``log.current_row``.
The loop keeps a log: one row per iteration (``log[iterations_done]``,
holding the batch's ``cost`` and ``total_gradient_norm`` and what extensions
record) and a ``status`` (counters and flags). Ctrl-C lets the current batch
finish, runs the ``on_interrupt`` extensions (a checkpoint, say) and stops.
An epoch cut short (``status['epoch_started']`` still true) continues where
it stopped when the loop runs again or resumes from a checkpoint: no second
``before_epoch``, and the data stream serves the next batch.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from typing import Any

from .data import as_stream
from .distributed import agreed_stop, speaks
from .errors import TrainingError

logger = logging.getLogger(__name__)


class TrainingLog(dict):
    """Rows by iteration number, plus ``status``."""

    def __init__(self) -> None:
        super().__init__()
        self.status: dict[str, Any] = {"iterations_done": 0, "epochs_done": 0,
                                       "training_finish_requested": False, "training_started": False,
                                       "epoch_started": False, "received_first_batch": False,
                                       "batch_interrupt_received": False, "interrupted": False,
                                       "_epoch_ends": []}

    @property
    def current_row(self) -> dict[str, Any]:
        """The row of the current iteration (``iterations_done``), created when first read."""
        return self.setdefault(self.status["iterations_done"], {})

    @property
    def previous_row(self) -> dict[str, Any]:
        """The row of the iteration before the current one."""
        return self.setdefault(self.status["iterations_done"] - 1, {})

    def last(self, name: str) -> Any:
        """The most recent value recorded under ``name`` (None if never)."""
        for iteration in sorted(self, reverse=True):
            if name in self[iteration]:
                return self[iteration][name]
        return None


class MainLoop:
    """Train ``algorithm`` on ``data_stream``.

    Parameters
    ----------
    algorithm : GradientDescent (or anything with ``initialize`` and ``process_batch``)
    data_stream : re-iterable of batches, or a callable returning one batch
    model : Model, optional
        Names the parameters in checkpoints.
    extensions : list of Extension
    """

    def __init__(self, algorithm: Any, data_stream: Any, model: Any = None,
                 extensions: Sequence[Any] = ()):
        self.algorithm = algorithm
        self.data_stream = as_stream(data_stream)
        self.model = model
        self.extensions = list(extensions)
        self.log = TrainingLog()
        self.status = self.log.status
        self._started = False

    def run(self) -> MainLoop:
        """Train until an extension asks to finish (or Ctrl-C)."""
        for extension in self.extensions:
            extension.main_loop = self
        previous_handler = self._catch_interrupts()
        try:
            self._run()
        finally:
            if previous_handler is not None:
                signal.signal(signal.SIGINT, previous_handler)
        return self

    def _run(self) -> None:
        try:
            self._start()
            while not self._should_stop():
                self._run_epoch()
        except Exception as error:
            self.callback("on_error", error)
            raise
        if self.status["batch_interrupt_received"]:
            self.status["interrupted"] = True
            self.callback("on_interrupt")
        self.callback("after_training")

    def _start(self) -> None:
        if not self._started:
            self.callback("before_training")
            self.algorithm.initialize()
            self._started = self.status["training_started"] = True
        if self.status["iterations_done"] > 0:
            self.callback("on_resumption")

    def _run_epoch(self) -> None:
        if not self.status["epoch_started"]:  # else an epoch cut short goes on, as in Blocks
            self.status["received_first_batch"] = False
            self.status["epoch_started"] = True
            self.callback("before_epoch")
        for batch in self.data_stream:
            self.status["received_first_batch"] = True
            self.callback("before_batch", batch)
            self.algorithm.process_batch(batch)
            self.status["iterations_done"] += 1
            self.log.current_row.update(self.algorithm.last_values)
            self.callback("after_batch", batch)
            if self._should_stop():
                return
        self.status["epoch_started"] = False
        self.status["epochs_done"] += 1
        self.status["_epoch_ends"] = list(self.status.get("_epoch_ends", [])) + [self.status["iterations_done"]]
        self.callback("after_epoch")

    def _should_stop(self) -> bool:
        if self.log.get(self.status["iterations_done"], {}).get("training_finish_requested"):
            self.status["training_finish_requested"] = True
        return agreed_stop(self.status, self.algorithm)

    def callback(self, name: str, *args: Any) -> None:
        """Dispatch callback ``name`` (with ``args``) to every extension."""
        for extension in self.extensions:
            if speaks(extension, self.algorithm):
                extension.dispatch(name, *args)

    def find_extension(self, name: str) -> Any:
        """The one extension called ``name``."""
        found = [e for e in self.extensions if e.name == name]
        if len(found) != 1:
            raise TrainingError(f"{len(found)} extensions are called {name!r}; the names are "
                                f"{[e.name for e in self.extensions]}")
        return found[0]

    def _catch_interrupts(self) -> Any:
        if threading.current_thread() is not threading.main_thread():
            return None

        def interrupt(signum: int, frame: Any) -> None:
            if self.status["batch_interrupt_received"]:
                raise KeyboardInterrupt
            self.status["batch_interrupt_received"] = True
            logger.warning("interrupted: finishing the current batch (Ctrl-C again to abort)")
        return signal.signal(signal.SIGINT, interrupt)
