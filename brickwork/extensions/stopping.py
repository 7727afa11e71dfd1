"""Blocks' early stopping bundle: ``OnLogRecord`` and ``EarlyStopping``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import TrainingError
from .base import CompositeExtension
from .best import FinishIfNoImprovementAfter, TrackTheBest


class OnLogRecord:
    """A predicate of the log: true when the current row has a true ``record_name``.

    For :meth:`~brickwork.extensions.base.SimpleExtension.add_condition`.
    """

    def __init__(self, record_name: str):
        self.record_name = record_name

    def __call__(self, log: Any) -> bool:
        return bool(log.current_row.get(self.record_name, False))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.record_name == self.record_name

    def __hash__(self) -> int:
        return hash((type(self), self.record_name))


class EarlyStopping(CompositeExtension):
    """:class:`TrackTheBest` of ``record_name`` and :class:`FinishIfNoImprovementAfter` together.

    Parameters
    ----------
    record_name : str
        The logged value to minimize (with ``choose_best=min``), such as a
        validation cost.
    checkpoint_extension : Checkpoint, optional
        Made to save to ``checkpoint_filename`` whenever a new best is
        logged; added as a sub-extension if it is not in the main loop.
    checkpoint_filename : str, optional
        Needed with ``checkpoint_extension``.
    notification_name : str, optional
        Default ``<record_name>_best_so_far``.
    choose_best : callable
    iterations, epochs : int, optional
        The patience (see :class:`FinishIfNoImprovementAfter`).
    **kwargs
        Conditions of both sub-extensions (default ``after_epoch=True``).

    Unlike Blocks, the checkpoint is also considered after each epoch (in
    Blocks the new-best record, written after the epoch, was looked for
    after the next batch only, when the row holding it was already past).
    """

    def __init__(self, record_name: str, checkpoint_extension: Any = None,
                 checkpoint_filename: str | None = None, notification_name: str | None = None,
                 choose_best: Callable = min, iterations: int | None = None, epochs: int | None = None,
                 **kwargs: Any):
        notification_name = notification_name or f"{record_name}_best_so_far"
        kwargs.setdefault("after_epoch", True)
        tracking = TrackTheBest(record_name, notification_name, choose_best=choose_best, **kwargs)
        stopping = FinishIfNoImprovementAfter(notification_name, iterations=iterations, epochs=epochs,
                                              **kwargs)
        if checkpoint_extension is not None and checkpoint_filename is None:
            raise TrainingError("EarlyStopping: checkpoint_extension given without checkpoint_filename")
        self.checkpoint_extension = checkpoint_extension
        if checkpoint_extension is not None:
            checkpoint_extension.add_condition(["after_epoch", "after_batch"], OnLogRecord(notification_name),
                                               (checkpoint_filename,))
        kwargs["before_training"] = True
        super().__init__([tracking, stopping], **kwargs)

    def do(self, which_callback: str, *args: Any) -> None:
        """Before training, adopt the checkpoint extension if the main loop does not run it."""
        extension = self.checkpoint_extension
        if which_callback != "before_training" or extension is None:
            return
        if all(extension is not e for e in self.main_loop.extensions):
            extension.main_loop = self.main_loop
            self.sub_extensions.append(extension)
