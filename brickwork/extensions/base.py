"""The ``Extension`` base class: code the main loop calls at chosen moments."""

from __future__ import annotations

from typing import Any

CALLBACKS = ("before_training", "before_epoch", "after_batch", "after_epoch", "on_interrupt",
             "after_training")


class Extension:
    """Runs :meth:`do` at the callbacks switched on by keyword.

    Parameters
    ----------
    before_training, before_epoch, after_batch, after_epoch, on_interrupt, after_training : bool
    every_n_batches, every_n_epochs : int, optional
        Run after every n-th batch or epoch.

    Attributes
    ----------
    rank_zero_only : bool
        In distributed training, run on rank 0 alone (printing, plotting).
    """

    rank_zero_only = False

    def __init__(self, every_n_batches: int | None = None, every_n_epochs: int | None = None,
                 **callbacks: bool):
        unknown = set(callbacks) - set(CALLBACKS)
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown callbacks {sorted(unknown)}")
        self.triggers = {name for name, on in callbacks.items() if on}
        self.every_n_batches, self.every_n_epochs = every_n_batches, every_n_epochs
        if every_n_batches:
            self.triggers.add("after_batch")
        if every_n_epochs:
            self.triggers.add("after_epoch")
        self.main_loop: Any = None

    def dispatch(self, callback: str) -> None:
        """Run :meth:`do` if ``callback`` is switched on and the every-n condition holds."""
        if callback not in self.triggers:
            return
        status = self.main_loop.status
        if callback == "after_batch" and self.every_n_batches and \
                status["iterations_done"] % self.every_n_batches:
            return
        if callback == "after_epoch" and self.every_n_epochs and status["epochs_done"] % self.every_n_epochs:
            return
        self.do(callback)

    def do(self, callback: str) -> None:
        """What the extension does at ``callback`` (one of ``CALLBACKS``); subclasses define it."""
        raise NotImplementedError

    @property
    def log(self) -> Any:
        """The main loop's log (rows by iteration, and ``status``)."""
        return self.main_loop.log
