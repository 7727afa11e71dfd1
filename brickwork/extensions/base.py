"""Extensions: code the main loop calls at chosen moments, with Blocks' conditions.

The main loop calls ``extension.dispatch(callback, *args)`` at each of
:data:`CALLBACKS` (``before_batch`` and ``after_batch`` with the batch,
``on_error`` with the exception). A :class:`TrainingExtension` runs its
method of that name. A :class:`SimpleExtension` (also called
:class:`Extension`) runs ``do(which_callback, *args)`` when one of its
conditions holds; conditions are set by keyword, as in Blocks:

* ``before_training``, ``before_epoch``, ``before_batch``,
  ``after_batch``, ``after_epoch``, ``on_resumption``, ``on_interrupt``,
  ``on_error``, ``after_training``: at that callback;
* ``before_first_epoch``: before the first epoch only;
* ``every_n_batches=n``, ``every_n_epochs=n``: after every n-th;
* ``after_n_batches=n``, ``after_n_epochs=n``: once, when n are done.

:meth:`SimpleExtension.add_condition` adds a condition with any predicate
of the log and extra arguments for ``do``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..errors import TrainingError

CALLBACKS = ("before_training", "before_epoch", "before_batch", "after_batch", "after_epoch",
             "on_resumption", "on_interrupt", "on_error", "after_training")
BOOLEAN_TRIGGERS = frozenset(CALLBACKS) | {"before_first_epoch"}
INTEGER_TRIGGERS = frozenset({"after_n_epochs", "after_n_batches", "every_n_epochs", "every_n_batches"})
_CALLBACK_OF = {"before_first_epoch": "before_epoch", "every_n_batches": "after_batch",
                "after_n_batches": "after_batch", "every_n_epochs": "after_epoch",
                "after_n_epochs": "after_epoch"}


class Predicate:
    """``every_n_*``: the count is a multiple of ``num``; ``after_n_*``: it equals ``num``."""

    def __init__(self, condition: str, num: int):
        if int(num) != num or num < 1:
            raise TrainingError(f"{condition} must be a positive integer, got {num!r}")
        self.condition, self.num = condition, int(num)

    def __call__(self, log: Any) -> bool:
        key = "epochs_done" if self.condition.endswith("epochs") else "iterations_done"
        count = log.status[key]
        return count % self.num == 0 if self.condition.startswith("every") else count == self.num


def before_first_epoch(log: Any) -> bool:
    """True while no epoch is done."""
    return log.status["epochs_done"] == 0


def always_true(log: Any) -> bool:
    return True


class TrainingExtension:
    """Base class: one method per callback, all doing nothing.

    Parameters
    ----------
    name : str, optional
        Default: the class name.

    Attributes
    ----------
    main_loop : MainLoop
        Set by the main loop before training.
    rank_zero_only : bool
        In distributed training, run on rank 0 alone (printing, plotting).
    """

    rank_zero_only = False

    def __init__(self, name: str | None = None):
        self.name = name or type(self).__name__
        self.main_loop: Any = None

    def dispatch(self, callback_name: str, *args: Any) -> None:
        """Run the method called ``callback_name``."""
        getattr(self, callback_name)(*args)

    def get_state(self) -> Any:
        """What a checkpoint must save to resume this extension exactly, or None when nothing.

        Returns
        -------
        plain data (numbers, strings, lists, dicts) and NumPy arrays, or None
        """
        return None

    def set_state(self, state: Any) -> None:
        """Put back what :meth:`get_state` returned (in a new process, say)."""

    @property
    def log(self) -> Any:
        """The main loop's log (rows by iteration, and ``status``)."""
        return self.main_loop.log

    def before_training(self) -> None:
        """Before the first epoch of a run that starts from scratch."""

    def before_epoch(self) -> None:
        """Before each epoch."""

    def before_batch(self, batch: Any) -> None:
        """Before each batch is processed."""

    def after_batch(self, batch: Any) -> None:
        """After each batch is processed."""

    def after_epoch(self) -> None:
        """After each epoch."""

    def on_resumption(self) -> None:
        """When a run continues one that had done some iterations."""

    def on_interrupt(self) -> None:
        """When training stops on Ctrl-C."""

    def on_error(self, exception: BaseException) -> None:
        """When training stops on an error."""

    def after_training(self) -> None:
        """When training finishes."""


class SimpleExtension(TrainingExtension):
    """Runs :meth:`do` when one of its conditions holds (see the module doc).

    Parameters
    ----------
    name : str, optional
    **conditions
        The keywords of the module doc.
    """

    def __init__(self, **kwargs: Any):
        conditions = {k: kwargs.pop(k) for k in list(kwargs) if k in BOOLEAN_TRIGGERS | INTEGER_TRIGGERS}
        super().__init__(**kwargs)
        self._conditions: list[tuple[str, Callable, tuple]] = []
        self.set_conditions(**conditions)

    def set_conditions(self, **conditions: Any) -> SimpleExtension:
        """Replace the conditions by those given (keywords of the module doc)."""
        self._conditions = []
        for key, value in conditions.items():
            if not value:
                continue
            if key in BOOLEAN_TRIGGERS:
                predicate = before_first_epoch if key == "before_first_epoch" else None
            elif key in INTEGER_TRIGGERS:
                predicate = Predicate(key, value)
            else:
                raise TrainingError(f"{type(self).__name__}: unknown condition {key!r}; the conditions "
                                    f"are {sorted(BOOLEAN_TRIGGERS | INTEGER_TRIGGERS)}")
            self.add_condition([_CALLBACK_OF.get(key, key)], predicate=predicate)
        return self

    def add_condition(self, callbacks_names: Sequence[str], predicate: Callable | None = None,
                      arguments: Iterable | None = None) -> SimpleExtension:
        """Run ``do`` at ``callbacks_names`` when ``predicate(log)`` holds, with ``arguments`` appended."""
        if not isinstance(callbacks_names, (list, tuple)):
            raise TrainingError(f"{type(self).__name__}.add_condition: callbacks_names must be a list "
                                f"or tuple, got {callbacks_names!r}")
        unknown = [n for n in callbacks_names if n not in BOOLEAN_TRIGGERS]
        if unknown:
            raise TrainingError(f"{type(self).__name__}: unknown callbacks {unknown}; they are "
                                f"{sorted(BOOLEAN_TRIGGERS)}")
        for name in callbacks_names:
            check = predicate or always_true
            if name == "before_first_epoch":
                name, check = "before_epoch", _both(before_first_epoch, check)
            self._conditions.append((name, check, tuple(arguments or ())))
        return self

    @property
    def triggers(self) -> set[str]:
        """The callbacks at which some condition may run ``do``."""
        return {name for name, _, _ in self._conditions}

    def dispatch(self, callback_invoked: str, *from_main_loop: Any) -> None:
        """Run ``do`` once for each condition of ``callback_invoked`` that holds."""
        for name, predicate, arguments in self._conditions:
            if name == callback_invoked and predicate(self.main_loop.log):
                self._call_do(callback_invoked, from_main_loop + arguments)

    def _call_do(self, callback: str, args: tuple) -> None:
        if _takes_arguments(self.do):
            self.do(callback, *args)
        else:
            self.do(callback)

    def do(self, which_callback: str, *args: Any) -> None:
        """The extension's work; ``args`` are the batch (or exception) and the condition's arguments."""
        raise NotImplementedError

    @staticmethod
    def parse_args(which_callback: str, args: Sequence) -> tuple[tuple, tuple]:
        """Split ``do``'s arguments into those of the main loop (the batch) and the user's."""
        args = tuple(args)
        if which_callback in ("after_batch", "before_batch"):
            return (args[0],), args[1:]
        return (), args


Extension = SimpleExtension


class CompositeExtension(SimpleExtension):
    """An extension that dispatches to ``sub_extensions`` too.

    Parameters
    ----------
    sub_extensions : list of TrainingExtension
        Dispatched in order, each on its own conditions.
    run_before_children : bool
        Whether this extension's own ``do`` runs before (default) or after theirs.
    """

    def __init__(self, sub_extensions: Sequence[TrainingExtension], run_before_children: bool = True,
                 **kwargs: Any):
        self.sub_extensions = list(sub_extensions)
        self.run_before_children = run_before_children
        super().__init__(**kwargs)

    @property
    def main_loop(self) -> Any:
        """The main loop; setting it sets it on every sub-extension too."""
        return self._main_loop

    @main_loop.setter
    def main_loop(self, value: Any) -> None:
        self._main_loop = value
        for sub in getattr(self, "sub_extensions", ()):
            sub.main_loop = value

    def dispatch(self, callback_invoked: str, *from_main_loop: Any) -> None:
        if self.run_before_children:
            super().dispatch(callback_invoked, *from_main_loop)
        for sub in self.sub_extensions:
            sub.dispatch(callback_invoked, *from_main_loop)
        if not self.run_before_children:
            super().dispatch(callback_invoked, *from_main_loop)

    def do(self, which_callback: str, *args: Any) -> None:
        """Nothing of its own by default."""

    def get_state(self) -> Any:
        """The states of the sub-extensions (in order), or None when none has state."""
        states = [sub.get_state() for sub in self.sub_extensions]
        return None if all(state is None for state in states) else {"sub_extensions": states}

    def set_state(self, state: Any) -> None:
        """Continue from a state that :meth:`get_state` returned."""
        for sub, sub_state in zip(self.sub_extensions, state["sub_extensions"]):
            if sub_state is not None:
                sub.set_state(sub_state)


def _both(first: Callable, second: Callable) -> Callable:
    return lambda log: first(log) and second(log)


def _takes_arguments(method: Callable) -> bool:
    """Whether ``do`` accepts the main loop's arguments (older extensions take the callback only)."""
    parameters = inspect.signature(method).parameters.values()
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return any(p.kind == p.VAR_POSITIONAL for p in parameters) or len(positional) > 1
