"""Extensions that change training as it runs or stamp the log: ``SharedVariableModifier``, ``Timestamp``."""

from __future__ import annotations

import datetime
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor.variable import SharedVariable
from .base import SimpleExtension


class SharedVariableModifier(SimpleExtension):
    """Set a shared variable (a learning rate, say) from a function of the iteration count.

    Parameters
    ----------
    parameter : SharedVariable
    function : callable
        ``function(iterations_done)`` or ``function(iterations_done, old_value)``
        returns the new value (cast to the variable's dtype).
    num_args : int, optional
        1 or 2; inferred from ``function``'s signature when not given.
    **kwargs
        Conditions (default ``after_batch=True``), as for :class:`SimpleExtension`.
    """

    def __init__(self, parameter: SharedVariable, function: Callable, num_args: int | None = None,
                 **kwargs: Any):
        kwargs.setdefault("after_batch", True)
        super().__init__(**kwargs)
        self.parameter, self._function, self._num_args = parameter, function, num_args

    @property
    def num_args(self) -> int:
        """How many arguments ``function`` takes (1 or 2)."""
        if self._num_args is None:
            self._num_args = len(inspect.signature(self._function).parameters)
        return self._num_args

    def function(self, *args: Any) -> Any:
        """The new value from ``(iterations_done)`` or ``(iterations_done, old_value)``."""
        return self._function(*args)

    def do(self, which_callback: str, *args: Any) -> None:
        done = self.main_loop.log.status["iterations_done"]
        if self.num_args == 1:
            value = self.function(done)
        else:
            value = self.function(done, self.parameter.get_value())
        self.parameter.set_value(np.asarray(value, dtype=self.parameter.dtype))

    def get_state(self) -> dict:
        """The variable's current value (a function of the old value compounds over a run)."""
        return {"value": self.parameter.get_value()}

    def set_state(self, state: dict) -> None:
        """Continue from a state that :meth:`get_state` returned."""
        self.parameter.set_value(np.asarray(state["value"], dtype=self.parameter.dtype))


class Timestamp(SimpleExtension):
    """Write the time (ISO 8601) to ``log.current_row[log_record]``.

    Parameters
    ----------
    log_record : str
        Default ``'timestamp'``.
    separator : str
        Between date and time; default ``' '``.
    **kwargs
        Conditions; by default before and after training, after every
        epoch, on errors, interrupts and resumption.
    """

    DEFAULT_LOG_RECORD = "timestamp"

    def __init__(self, log_record: str = DEFAULT_LOG_RECORD, separator: str = " ", **kwargs: Any):
        self.log_record, self.separator = log_record, separator
        for callback in ("before_training", "after_epoch", "on_error", "on_interrupt", "on_resumption",
                         "after_training"):
            kwargs.setdefault(callback, True)
        super().__init__(**kwargs)

    def do(self, which_callback: str, *args: Any) -> None:
        self.main_loop.log.current_row[self.log_record] = self.get_timestamp()

    def get_timestamp(self) -> str:
        """The current local time in ISO 8601 with ``separator`` between date and time."""
        return datetime.datetime.now().isoformat(self.separator)
