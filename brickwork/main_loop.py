"""``MainLoop``: feed batches to an algorithm, epoch after epoch, calling extensions.

Extensions are called at fixed points: ``before_training``, ``before_epoch``,
``after_batch``, ``after_epoch``, ``on_interrupt`` and ``after_training``.
The loop keeps a log: one row per iteration (``log[iterations_done]``,
holding the batch's ``cost`` and ``total_gradient_norm`` and what extensions
record) and a ``status`` (counters and flags). Ctrl-C lets the current batch
finish, runs the ``on_interrupt`` extensions (a checkpoint, say) and stops.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence
from typing import Any

from .data import as_stream
from .distributed import agreed_stop, speaks


class TrainingLog(dict):
    """Rows by iteration number, plus ``status``."""

    def __init__(self) -> None:
        super().__init__()
        self.status: dict[str, Any] = {"iterations_done": 0, "epochs_done": 0,
                                       "training_finish_requested": False,
                                       "batch_interrupt_received": False, "interrupted": False}

    @property
    def current_row(self) -> dict[str, Any]:
        """The row of the current iteration (created empty if needed)."""
        return self.setdefault(self.status["iterations_done"], {})

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
        self.callback("before_training")
        self.algorithm.initialize()
        while not self._should_stop():
            self.callback("before_epoch")
            for batch in self.data_stream:
                self.algorithm.process_batch(batch)
                self.status["iterations_done"] += 1
                self.log.current_row.update(self.algorithm.last_values)
                self.callback("after_batch")
                if self._should_stop():
                    break
            else:
                self.status["epochs_done"] += 1
                self.callback("after_epoch")
        if self.status["batch_interrupt_received"]:
            self.status["interrupted"] = True
            self.callback("on_interrupt")
        self.callback("after_training")

    def _should_stop(self) -> bool:
        return agreed_stop(self.status, self.algorithm)

    def callback(self, name: str) -> None:
        """Call every extension's ``dispatch(name)``, in order."""
        for extension in self.extensions:
            if speaks(extension, self.algorithm):
                extension.dispatch(name)

    def _catch_interrupts(self) -> Any:
        if threading.current_thread() is not threading.main_thread():
            return None

        def interrupt(signum: int, frame: Any) -> None:
            if self.status["batch_interrupt_received"]:
                raise KeyboardInterrupt
            self.status["batch_interrupt_received"] = True
            print("\nInterrupted: finishing the current batch (Ctrl-C again to abort)", flush=True)
        return signal.signal(signal.SIGINT, interrupt)
