"""Beam search over the outputs of a :class:`~brickwork.bricks.sequence_generators.SequenceGenerator`.

:class:`BeamSearch` is built from the symbolic ``outputs`` of ``generate``.
It finds the generator and the contexts ``generate`` was given in that
graph, compiles once the few functions one search step needs (the contexts
from the inputs, the initial states, the log-probabilities of the next
output with this step's glimpses, the next states given the chosen outputs)
and runs the search itself in NumPy.

Differences from Blocks, whose search cloned the Theano graph of
``generate`` and cut the sampling out of it: the step functions are built
from the generator's own ``step_readouts``/``step_states`` on fresh inputs,
and the attended sequence is projected (``preprocess``) once per search
rather than at every step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import tensor
from .errors import BrickworkError
from .graph import function
from .roles import INPUT, OUTPUT, has_roles
from .tensor.variable import Constant, SharedVariable, TensorType, Variable
from .tensor.walk import variables


class BeamSearch:
    """Approximate search for the most likely output sequence.

    Parameters
    ----------
    samples : Variable
        The ``outputs`` of ``SequenceGenerator.generate`` (``(time, batch)``), or a
        variable computed from it (such as the same outputs returned by a caller's
        application).
    beam_size : int, optional
        Needed only when ``generate`` had no contexts; otherwise the beam
        size is the batch size of the input values given to :meth:`search`.
    """

    def __init__(self, samples: Variable, beam_size: int | None = None):
        if isinstance(samples, (list, tuple)):
            samples = samples[0]
        found = [v for v in variables([samples]) if _is_generated(v)]
        if not found:
            raise BrickworkError(f"BeamSearch: {samples!r} is not an output of "
                                 f"SequenceGenerator.generate")
        samples = found[-1]
        self.generator = samples.tag.brick
        self.beam_size = beam_size
        self.contexts = self._find_contexts(samples)
        self.inputs = [v for v in variables(list(self.contexts.values()))
                       if v.owner is None and not isinstance(v, (SharedVariable, Constant))]
        self._compile()

    def _find_contexts(self, samples: Variable) -> dict[str, Variable]:
        names = self.generator.generate.contexts
        found = {}
        for var in variables([samples]):
            tag = var.tag
            if (getattr(tag, "brick", None) is self.generator and has_roles(var, [INPUT])
                    and getattr(tag, "application", None) == "generate"
                    and getattr(tag, "name", None) in names):
                found[tag.name] = var
        return {n: found[n] for n in names if n in found}

    def _compile(self) -> None:
        """Compile the functions of the contexts, the initial states and one search step."""
        generator = self.generator
        self.state_names = list(generator.generate.states)
        contexts = {n: _like(v, n) for n, v in self.contexts.items()}
        extra = self._preprocessed(contexts)
        self.context_names, self.extra_names = list(contexts), list(extra)
        self.compute_contexts = function(self.inputs, list(self.contexts.values())) \
            if self.contexts else None
        context_inputs = list(contexts.values())
        self.compute_extra = function(context_inputs, list(extra.values())) if extra else None
        extra = {n: _like(v, n) for n, v in extra.items()}
        batch = Variable(TensorType("int64", ()), name="beam_size")
        initial = generator.initial_states(batch, **contexts)
        initial = initial if isinstance(initial, list) else [initial]
        self.compute_initial = function(context_inputs + [batch], initial)
        states = {n: _like(v, n) for n, v in zip(self.state_names, initial)}
        self._compile_step(context_inputs + list(extra.values()), {**contexts, **extra}, states)

    def _compile_step(self, inputs: list, contexts: dict, states: dict) -> None:
        """The log-probabilities of the next output with this step's glimpses; the next states."""
        generator = self.generator
        glimpses, readouts = generator.step_readouts(**states, **contexts)
        emitter = generator.readout.emitter
        log_probs = emitter.log_probs(readouts) if hasattr(emitter, "log_probs") else \
            tensor.log(emitter.probs(readouts))
        self.glimpse_names = list(glimpses)
        self.compute_log_probs = function(inputs + list(states.values()),
                                          [log_probs] + list(glimpses.values()))
        chosen = _like(states["outputs"], "chosen")
        next_glimpses = {n: _like(v, n) for n, v in glimpses.items()}
        plain = {n: v for n, v in states.items() if n in generator.transition.transition.apply.states}
        next_states = generator.step_states(chosen, **plain, **next_glimpses, **contexts)
        self.transition_state_names = list(plain)
        self.compute_next_states = function(
            inputs + list(plain.values()) + list(next_glimpses.values()) + [chosen], next_states)

    def _preprocessed(self, contexts: dict) -> dict:
        transition = self.generator.transition
        name = getattr(transition, "preprocessed_attended_name", None)
        if name is None or transition.attended_name not in contexts:
            return {}
        return {name: transition.attention.preprocess(contexts[transition.attended_name])}

    def search(self, input_values: dict, eol_symbol: int, max_length: int,
               ignore_first_eol: bool = False, as_arrays: bool = False) -> Any:
        """Find the ``beam_size`` most likely sequences, best first.

        Parameters
        ----------
        input_values : dict
            From each input variable of the ``generate`` graph to its value,
            with a batch of ``beam_size`` copies of the one input (as for
            sampling with ``batch_size=beam_size``).
        eol_symbol : int
            The end-of-sequence class; a sequence is finished once it emits it.
        max_length : int
            The largest number of steps.
        ignore_first_eol : bool
            Do not end sequences whose first output is ``eol_symbol``.
        as_arrays : bool
            Return ``(outputs, masks, costs)``, each ``(time, beam_size)``
            (per-step costs) instead of lists.

        Returns
        -------
        outputs : list of list of int
            The sequences (each ends with ``eol_symbol`` if it was emitted).
        costs : list of float
            Their negative log-likelihoods, ascending.
        """
        contexts = sum(self._context_values(input_values), [])
        beam = self._beam_size(contexts)
        states = dict(zip(self.state_names, self.compute_initial(
            *contexts[:len(self.context_names)], np.int64(beam))))
        history = _History(states["outputs"])
        for step in range(max_length):
            if not history.masks[-1].any():
                break
            states = self._step(states, history, contexts, beam, eol_symbol, first=step == 0,
                                keep_eol=ignore_first_eol and step == 0)
        result = history.result()
        return result if as_arrays else self.result_to_lists(result)

    def _step(self, states: dict, history: _History, contexts: list, beam: int, eol_symbol: int,
              first: bool, keep_eol: bool) -> dict:
        """Extend every hypothesis by every class, keep the ``beam`` best; the new states."""
        rows_now = _first_rows(contexts, len(history.masks[-1]))
        log_probs, *glimpses = self.compute_log_probs(*rows_now, *states.values())
        (rows, outputs), chosen_costs = _smallest(history.next_costs(log_probs, eol_symbol), beam,
                                                  only_first_row=first)
        states = {n: v[rows] for n, v in states.items()}
        glimpses = [g[rows] for g in glimpses]
        history.choose(rows, outputs, chosen_costs, eol_symbol, keep_eol)
        previous = [states[n] for n in self.transition_state_names]
        new = self.compute_next_states(*_first_rows(contexts, len(rows)), *previous, *glimpses, outputs)
        states.update(zip(self.transition_state_names, new))
        states.update(zip(self.glimpse_names, glimpses))
        states["outputs"] = outputs
        return states

    def _context_values(self, input_values: dict) -> tuple[list, list]:
        missing = [v for v in self.inputs if v not in input_values]
        if missing:
            raise BrickworkError(f"BeamSearch.search: no value for the inputs "
                                 f"{[v.name for v in missing]} of the generate graph")
        if self.compute_contexts is None:
            return [], []
        contexts = self.compute_contexts(*[input_values[v] for v in self.inputs])
        contexts = contexts if isinstance(contexts, list) else [contexts]
        if self.compute_extra is None:
            return contexts, []
        extra = self.compute_extra(*contexts)
        return contexts, extra if isinstance(extra, list) else [extra]

    def _beam_size(self, contexts: list) -> int:
        batched = [c for c in contexts if c.ndim >= 2]
        if batched:
            return int(batched[0].shape[1])
        if self.beam_size is None:
            raise BrickworkError("BeamSearch: generate has no contexts to take the beam size "
                                 "from; pass beam_size= to BeamSearch")
        return self.beam_size

    @staticmethod
    def result_to_lists(result: tuple) -> tuple[list, list]:
        """``(outputs, masks, costs)`` arrays ``(time, beam)`` as lists of sequences and total costs."""
        outputs, masks, costs = (array.T for array in result)
        sequences = [[int(o) for o in output[:int(mask.sum())]] for output, mask in zip(outputs, masks)]
        return sequences, [float(c) for c in costs.sum(axis=1)]


class _History:
    """The outputs, masks and running costs of the hypotheses, ``(steps + 1, beam)`` each."""

    def __init__(self, initial_outputs: np.ndarray):
        self.outputs = initial_outputs[None]
        self.masks = np.ones(self.outputs.shape, dtype=np.float64)
        self.costs = np.zeros(self.outputs.shape, dtype=np.float64)

    def next_costs(self, log_probs: np.ndarray, eol_symbol: int) -> np.ndarray:
        """The running cost of each hypothesis extended by each class ``(beam, classes)``;
        a finished hypothesis can only be extended by ``eol_symbol``, for free."""
        costs = self.costs[-1][:, None] - log_probs * self.masks[-1][:, None]
        finished = self.masks[-1] == 0
        costs[finished, :eol_symbol] = np.inf
        costs[finished, eol_symbol + 1:] = np.inf
        return costs

    def choose(self, rows: np.ndarray, outputs: np.ndarray, costs: np.ndarray, eol_symbol: int,
               keep_eol: bool) -> None:
        """Keep the hypotheses ``rows``, each extended by its output."""
        mask = np.ones(len(outputs)) if keep_eol else outputs != eol_symbol
        self.outputs = np.vstack([self.outputs[:, rows], outputs[None]])
        self.masks = np.vstack([self.masks[:, rows], mask[None]])
        self.costs = np.vstack([self.costs[:, rows], costs[None]])

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Outputs, masks and per-step costs ``(steps, beam)``."""
        return self.outputs[1:], self.masks[:-1], np.diff(self.costs, axis=0)


def _is_generated(variable: Variable) -> bool:
    """Whether ``variable`` is the ``outputs`` of a ``generate`` (perhaps renamed by a caller's
    application since)."""
    tag = variable.tag
    return (getattr(tag, "application", None) == "generate" and has_roles(variable, [OUTPUT])
            and hasattr(getattr(tag, "brick", None), "step_readouts")
            and getattr(tag, "name", None) == "outputs")


def _first_rows(contexts: list, n: int) -> list:
    """The contexts of ``n`` hypotheses (the first step has only as many as there are classes).

    All hypotheses share one input, so any ``n`` of its copies along the batch axis (axis 1 of
    time-major contexts) do."""
    return [c[:, :n] if c.ndim >= 2 else c for c in contexts]


def _like(variable: Variable, name: str) -> Variable:
    """A fresh input of ``variable``'s dtype and number of axes."""
    return Variable(TensorType(variable.type.dtype, (None,) * variable.ndim), name=name)


def _smallest(matrix: np.ndarray, k: int, only_first_row: bool = False) -> tuple[tuple, np.ndarray]:
    """The ``k`` smallest entries of ``matrix``, ascending: ((rows, columns), values)."""
    flat = matrix[:1].ravel() if only_first_row else matrix.ravel()
    k = min(k, flat.size)
    best = np.argpartition(flat, k - 1)[:k] if k < flat.size else np.arange(flat.size)
    best = best[np.argsort(flat[best], kind="stable")]
    return np.unravel_index(best, matrix[:1].shape if only_first_row else matrix.shape), flat[best]
