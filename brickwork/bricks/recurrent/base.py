"""``@recurrent`` and :class:`BaseRecurrent`: one step written, whole sequences run.

A recurrent brick writes ``apply`` for a single time step: it receives one
slice of each sequence and the previous value of each state, and returns the
new states (and any other outputs). ``@recurrent(sequences=, states=,
contexts=, outputs=)`` turns that method into an application that runs over
sequences ``(time, batch, ...)`` by tracing the step once into a
:func:`~brickwork.scan.scan` node. Call-time keywords:

* ``iterate=False`` runs a single step (states left out come from
  ``initial_states``), which is how recurrent bricks compose inside another
  brick's step;
* ``reverse=True`` runs back to front; outputs stay aligned with the input;
* ``return_initial_states=True`` puts the initial state at index 0 of each
  state output (one step longer than the input; with ``reverse`` too);
* ``n_steps`` and ``batch_size`` are needed only when there is no sequence;
* each state by name gives its initial value;
* ``mask``, a ``(time, batch)`` sequence of 0/1: where 0, every state keeps
  its previous value (finished sequences stay frozen). It is applied here,
  for every brick, with a select rather than a product, so an all-zero
  column can never turn a state into NaN.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from ... import tensor
from ...errors import BrickError
from ...tensor.variable import Variable
from ..base import Brick, application

_CALL_KEYWORDS = ("iterate", "reverse", "return_initial_states", "n_steps", "batch_size", "mask")


def recurrent(*names: Callable, sequences: Sequence[str] = (), states: Sequence[str] = (),
              contexts: Sequence[str] = (), outputs: Sequence[str] | None = None) -> Any:
    """Make a single-step ``apply`` callable on whole sequences (see the module doc)."""
    if names and callable(names[0]):
        return recurrent()(names[0])

    def decorate(step: Callable) -> Any:
        spec = _Spec(step, list(sequences), list(states), list(contexts),
                     list(outputs if outputs is not None else states))

        def apply(brick: Brick, *args: Any, **kwargs: Any) -> Any:
            return spec.for_brick(brick).call(brick, *args, **kwargs)

        apply.__name__, apply.__doc__ = step.__name__, step.__doc__
        app = application(inputs=spec.sequences + spec.states + spec.contexts,
                          outputs=spec.outputs)(apply)
        app.sequences, app.states, app.contexts = spec.sequences, spec.states, spec.contexts
        app.step = step  # the single step itself, for subclasses that wrap it
        spec.application = app
        return app
    return decorate


class _Spec:
    """What ``@recurrent`` knows about one step method, and how to run it."""

    def __init__(self, step: Callable, sequences: list[str], states: list[str],
                 contexts: list[str], outputs: list[str]):
        self.step, self.sequences, self.states = step, sequences, states
        self.contexts, self.outputs = contexts, outputs
        signature = inspect.signature(step).parameters.values()
        self.any_keywords = any(p.kind == p.VAR_KEYWORD for p in signature)
        self.parameters = [p.name for p in signature if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)][1:]
        self.application: Any = None
        missing = [n for n in states if n not in outputs]
        if missing:
            raise BrickError(f"@recurrent on {step.__qualname__}: states {missing} are not "
                             f"among the outputs {outputs}")

    def for_brick(self, brick: Brick) -> _Spec:
        """This spec with the names ``brick`` gives through ``@apply.property('sequences')`` etc.

        Bricks that wrap others (attention, sequence generators) take their
        sequences, states and contexts from the bricks they wrap; a step
        written with ``**kwargs`` then accepts exactly those names.
        """
        app = self.application
        if not any(k in app.properties for k in ("sequences", "states", "contexts", "outputs")):
            return self
        bound = app.__get__(brick, type(brick))
        spec = copy.copy(self)
        for name in ("sequences", "states", "contexts", "outputs"):
            setattr(spec, name, list(getattr(bound, name)))
        if self.any_keywords:
            spec.parameters = list(dict.fromkeys(self.parameters + spec.sequences + spec.states
                                                 + spec.contexts))
        return spec

    def bind(self, brick: Brick, args: tuple, kwargs: dict) -> dict:
        if len(args) > len(self.parameters):
            raise BrickError(f"{_path(brick)}.{self.step.__name__}: takes {len(self.parameters)} "
                             f"arguments ({', '.join(self.parameters)}), got {len(args)}")
        bound = dict(zip(self.parameters, args))
        for name, value in kwargs.items():
            if name in bound:
                raise BrickError(f"{_path(brick)}.{self.step.__name__}: {name!r} given twice")
            bound[name] = value
        return bound

    def call(self, brick: Brick, *args: Any, **kwargs: Any) -> Any:
        options = {k: kwargs.pop(k) for k in _CALL_KEYWORDS if k in kwargs}
        bound = self.bind(brick, args, kwargs)
        unknown = [k for k in bound if k not in self.parameters]
        if unknown:
            raise BrickError(f"{_path(brick)}.{self.step.__name__}: unexpected arguments {unknown}; "
                             f"it takes {self.parameters}")
        if options.get("iterate", True):
            return self.iterate(brick, bound, options)
        return self.single_step(brick, bound, options)

    def single_step(self, brick: Brick, bound: dict, options: dict) -> Any:
        seqs = [bound[n] for n in self.sequences if bound.get(n) is not None]
        batch = options.get("batch_size")
        if batch is None and seqs:
            batch = tensor.as_variable(seqs[0]).shape[0]
        self.fill_states(brick, bound, batch, options)
        previous = {n: bound[n] for n in self.states}
        results = self.run_step(brick, bound)
        mask = options.get("mask")
        if mask is not None:
            results = self.apply_mask(results, previous, tensor.as_variable(mask))
        return results[0] if len(results) == 1 else results

    def fill_states(self, brick: Brick, bound: dict, batch: Any, options: dict) -> None:
        missing = [n for n in self.states if bound.get(n) is None]
        if not missing:
            return
        if batch is None:
            raise BrickError(f"{_path(brick)}.{self.step.__name__}: no sequence to take the batch "
                             f"size from; pass batch_size= or the states {missing}")
        context = {n: bound[n] for n in self.contexts if bound.get(n) is not None}
        initial = brick.initial_states(batch, **context)
        initial = [initial] if isinstance(initial, Variable) else list(initial)
        found = dict(zip(brick.initial_states.outputs, initial))
        for name in missing:
            if name not in found:
                raise BrickError(f"{_path(brick)}.initial_states gives no value for state "
                                 f"{name!r}; it gives {list(found)}")
            bound[name] = found[name]

    def run_step(self, brick: Brick, bound: dict) -> list[Variable]:
        results = self.step(brick, **{k: v for k, v in bound.items() if v is not None})
        results = [results] if not isinstance(results, (list, tuple)) else list(results)
        if len(results) != len(self.outputs):
            raise BrickError(f"{_path(brick)}.{self.step.__name__}: returned {len(results)} "
                             f"values for the outputs {self.outputs}")
        return [tensor.as_variable(r) for r in results]

    def apply_mask(self, results: list, previous: dict, mask: Variable) -> list:
        out = list(results)
        for i, name in enumerate(self.outputs):
            if name in previous:
                new, old = results[i], tensor.as_variable(previous[name])
                keep = tensor.expand_dims(mask, list(range(mask.ndim, new.ndim))) \
                    if new.ndim > mask.ndim else mask
                out[i] = tensor.where(keep > 0, new, old)
        return out

    def iterate(self, brick: Brick, bound: dict, options: dict) -> Any:
        seq_names = [n for n in self.sequences if bound.get(n) is not None]
        seqs = [tensor.as_variable(bound[n]) for n in seq_names]
        mask = options.get("mask")
        if mask is None and "mask" in seq_names:
            mask = seqs[seq_names.index("mask")]
        batch = options.get("batch_size")
        if batch is None and seqs:
            batch = seqs[0].shape[1]
        self.fill_states(brick, bound, batch, options)
        initial = [tensor.as_variable(bound[n]) for n in self.states]
        contexts = {n: bound[n] for n in self.contexts if bound.get(n) is not None}
        order = self.states + [n for n in self.outputs if n not in self.states]
        extra_seqs = [tensor.as_variable(mask)] if mask is not None else []

        def step(*args: Variable) -> list[Variable]:
            n = len(seq_names)
            slices, masks = dict(zip(seq_names, args[:n])), args[n:n + len(extra_seqs)]
            previous = dict(zip(self.states, args[n + len(extra_seqs):]))
            results = self.run_step(brick, {**contexts, **slices, **previous})
            if masks:
                results = self.apply_mask(results, previous, masks[0])
            by_name = dict(zip(self.outputs, results))
            return [by_name[name] for name in order]

        stacked = tensor.scan(step, sequences=seqs + extra_seqs, states=initial,
                              n_steps=options.get("n_steps"), reverse=options.get("reverse", False))
        by_name = dict(zip(order, stacked))
        if options.get("return_initial_states"):
            for name, init in zip(self.states, initial):
                by_name[name] = tensor.concatenate([tensor.expand_dims(init, 0), by_name[name]])
        results = [by_name[name] for name in self.outputs]
        return results[0] if len(results) == 1 else results


def _path(brick: Brick) -> str:
    return brick.get_hierarchical_name() if hasattr(brick, "get_hierarchical_name") else brick.name


class BaseRecurrent(Brick):
    """Base class of recurrent bricks.

    Subclasses define a ``@recurrent`` ``apply`` and ``get_dim`` for each
    state; ``initial_states`` then gives zeros of ``(batch_size, dim)``. The
    recurrent bricks of this package override it with learnable vectors.
    """

    @application
    def initial_states(self, batch_size: Any, *args: Any, **kwargs: Any) -> Any:
        """Zeros of shape ``(batch_size, get_dim(state))`` for each state of ``apply``."""
        states = [tensor.zeros((batch_size, self.get_dim(name))) for name in self.apply.states]
        return states[0] if len(states) == 1 else states

    @initial_states.property("outputs")
    def initial_states_outputs(self) -> list[str]:
        """The names of ``initial_states``' outputs: the states of ``apply``."""
        return list(self.apply.states)
