"""Sequence generators: train on ``cost``, sample with ``generate``, one set of parameters.

A :class:`SequenceGenerator` is a recurrent transition (optionally with
attention, see :mod:`brickwork.bricks.attention`), a :class:`Readout` that
maps states and glimpses to *readouts* and through an *emitter* to outputs,
and a *feedback* brick that turns the previous output into the next input
(see :mod:`brickwork.bricks.readout`). At step ``t``::

    glimpses_t = take_glimpses(states_{t-1})
    readouts_t = readout(states_{t-1}, glimpses_t, feedback(y_{t-1}))
    y_t        ~ emitter(readouts_t)                 (generate samples it)
    states_t   = transition(fork(feedback(y_t)), states_{t-1}, glimpses_t)

``cost_matrix`` runs the transition over the given outputs once and reads the
costs off the readouts; ``generate`` is a ``@recurrent`` application whose
states are the transition's states, ``outputs`` and the glimpses: sampling,
feedback and attention are all steps of one scan.

Differences from Blocks: Blocks' ``BaseSequenceGenerator`` and its
``FakeAttentionRecurrent`` are folded into this class (without attention, the
transition is wrapped by a private adapter with no glimpses); the step
functions that :class:`~brickwork.search.BeamSearch` compiles are the methods
``step_readouts`` and ``step_states`` rather than a clone of the ``generate``
graph with its sampling cut out.
"""

from __future__ import annotations

from typing import Any

from .. import tensor
from ..errors import BrickError
from ..tensor.variable import Variable
from .attention import AttentionRecurrent, _as_list
from .base import Brick, application
from .interfaces import Initializable
from .parallel import Fork
from .readout import (
    LookupFeedback,
    Readout,
    SoftmaxEmitter,
    TrivialEmitter,
    TrivialFeedback,
)
from .recurrent.base import BaseRecurrent, recurrent
from .simple import Linear

__all__ = ["LookupFeedback", "Readout", "SequenceGenerator", "SoftmaxEmitter", "TrivialEmitter", "TrivialFeedback"]


class _WithoutAttention(BaseRecurrent, Initializable):
    """A transition seen through the interface of :class:`AttentionRecurrent`, with no glimpses."""

    def __init__(self, transition: Brick, **kwargs: Any):
        super().__init__(**kwargs)
        self.transition = transition
        self.children = [transition]

    def get_dim(self, name: str) -> int:
        return self.transition.get_dim(name)

    @application
    def take_glimpses(self, **kwargs: Any) -> list:
        return []

    @application
    def compute_states(self, **kwargs: Any) -> Any:
        names = self.transition.apply.sequences + self.transition.apply.states + \
            self.transition.apply.contexts
        return self.transition.apply(iterate=False, **{n: kwargs[n] for n in names if n in kwargs})

    @property
    def apply(self) -> Any:
        return self.transition.apply

    @property
    def initial_states(self) -> Any:
        return self.transition.initial_states


class SequenceGenerator(Initializable):
    """Generates sequences with ``readout`` from the states of ``transition``.

    Parameters
    ----------
    readout : Readout
    transition : recurrent brick
        Its inputs (all sequences but ``mask``) are fed by a ``Fork`` from the
        feedback.
    attention : SequenceContentAttention, optional
        If given, the transition is wrapped in an
        :class:`~brickwork.bricks.attention.AttentionRecurrent` named ``att_trans``.
    add_contexts : bool
        Passed to ``AttentionRecurrent``: ``attended`` and ``attended_mask``
        become contexts of ``cost`` and ``generate``.
    """

    def __init__(self, readout: Readout, transition: Brick, attention: Brick | None = None,
                 add_contexts: bool = True, **kwargs: Any):
        super().__init__(**kwargs)
        if attention is not None:
            transition = AttentionRecurrent(transition, attention, add_contexts=add_contexts,
                                            name="att_trans")
        else:
            transition = _WithoutAttention(transition, name="with_fake_attention")
        self.readout, self.transition = readout, transition
        self._state_names = list(transition.transition.apply.states)
        self._context_names = list(transition.apply.contexts)
        self._glimpse_names = list(transition.take_glimpses.outputs) if attention is not None else []
        inputs = [n for n in transition.apply.sequences if "mask" not in n]
        self.fork = Fork(inputs, prototype=Linear(), name="fork")
        self.children = [readout, self.fork, transition]

    def _push_allocation_config(self) -> None:
        self.readout.source_dims = [self.get_dim(n) for n in self.readout.source_names]
        self.fork.input_dim = self.readout.get_dim("feedback")
        self.fork.output_dims = self.transition.get_dims(self.fork.output_names)

    def get_dim(self, name: str) -> int:
        if name in ("outputs", "feedback", "readouts"):
            return self.readout.get_dim(name)
        if name == "costs":
            return 0
        return self.transition.get_dim(name)

    @application
    def cost(self, outputs: Any, mask: Any = None, **kwargs: Any) -> Variable:
        """The per-sequence sum of step costs, averaged over the batch: a scalar.

        ``outputs`` ``(time, batch)`` (or ``(time, batch, dim)``), ``mask``
        ``(time, batch)``, contexts by name (``attended``, ``attended_mask``).
        """
        costs = self.cost_matrix(outputs, mask=mask, **kwargs)
        return costs.sum() / tensor.cast(tensor.as_variable(outputs).shape[1], costs.dtype)

    @application(outputs=["costs"])
    def cost_matrix(self, outputs: Any, mask: Any = None, **kwargs: Any) -> Variable:
        """The cost of each output given the ones before it: ``(time, batch)``, zero where
        ``mask`` is 0."""
        outputs = tensor.as_variable(outputs)
        batch_size = outputs.shape[1]
        unknown = [k for k in kwargs if k not in self._state_names + self._context_names]
        if unknown:
            raise BrickError(f"{self.get_hierarchical_name()}.cost_matrix: unexpected arguments "
                             f"{unknown}; it takes the contexts {self._context_names} and the "
                             f"initial states {self._state_names}")
        feedback = self.readout.feedback(outputs)
        inputs = dict(zip(self.fork.output_names, _as_list(self.fork.apply(feedback))))
        results = _as_list(self.transition.apply(mask=mask, return_initial_states=True,
                                                 **inputs, **kwargs))
        results = dict(zip(self.transition.apply.outputs, results))
        sources = {n: results[n][:-1] for n in self._state_names}
        sources.update({n: results[n][1:] for n in self._glimpse_names})
        first = self.readout.feedback(self.readout.initial_outputs(batch_size))
        previous = tensor.concatenate([tensor.expand_dims(first, 0), feedback[:-1]])
        contexts = {n: kwargs[n] for n in self._context_names if n in kwargs}
        readouts = self.readout.readout(feedback=previous, **sources, **contexts)
        costs = self.readout.cost(readouts, outputs)
        if mask is not None:
            costs = costs * mask
        return costs

    def step_readouts(self, outputs: Any, **kwargs: Any) -> tuple[dict, Variable]:
        """One step's glimpses (by name) and readouts ``(batch, readout_dim)`` from the previous
        ``outputs`` ``(batch,)``, states, glimpses and contexts given by name."""
        states = {n: kwargs[n] for n in self._state_names}
        glimpses = _as_list(self.transition.take_glimpses(**kwargs))
        glimpses = dict(zip(self._glimpse_names, glimpses))
        contexts = {n: kwargs[n] for n in self._context_names if n in kwargs}
        readouts = self.readout.readout(feedback=self.readout.feedback(outputs), **states,
                                        **glimpses, **contexts)
        return glimpses, readouts

    def step_states(self, outputs: Any, **kwargs: Any) -> list[Variable]:
        """The transition's next states after emitting ``outputs``, from the previous states,
        this step's glimpses and the contexts given by name."""
        feedback = self.readout.feedback(outputs)
        inputs = dict(zip(self.fork.output_names, _as_list(self.fork.apply(feedback))))
        return _as_list(self.transition.compute_states(**inputs, **kwargs))

    @recurrent
    def generate(self, outputs: Any, **kwargs: Any) -> list[Variable]:
        """One step of sampling: returns the new states, the sampled ``outputs`` ``(batch,)``,
        the glimpses and the ``costs`` ``(batch,)`` (negative log-probabilities of the samples).

        Call it with ``n_steps=`` and ``batch_size=`` and the contexts by name; it
        returns each of them stacked ``(n_steps, batch, ...)``.
        """
        glimpses, readouts = self.step_readouts(outputs, **kwargs)
        samples = self.readout.emit(readouts)
        costs = self.readout.cost(readouts, samples)
        previous = {n: kwargs[n] for n in self._state_names + self._context_names if n in kwargs}
        states = self.step_states(samples, **previous, **glimpses)
        return states + [samples] + [glimpses[n] for n in self._glimpse_names] + [costs]

    @generate.property("sequences")
    def generate_sequences(self) -> list[str]:
        """None: ``generate`` runs for ``n_steps``."""
        return []

    @generate.property("states")
    def generate_states(self) -> list[str]:
        """The transition's states, ``outputs`` (the previous sample) and the glimpses."""
        return self._state_names + ["outputs"] + self._glimpse_names

    @generate.property("contexts")
    def generate_contexts(self) -> list[str]:
        """The transition's contexts (``attended``, ``attended_mask`` with attention)."""
        return list(self._context_names)

    @generate.property("outputs")
    def generate_outputs(self) -> list[str]:
        """The states, ``outputs``, the glimpses and ``costs``."""
        return self._state_names + ["outputs"] + self._glimpse_names + ["costs"]

    @application
    def initial_states(self, batch_size: Any, *args: Any, **kwargs: Any) -> list[Variable]:
        """The transition's initial states, the emitter's initial outputs, the initial glimpses."""
        contexts = {n: kwargs[n] for n in self._context_names if n in kwargs}
        found = dict(zip(self.transition.initial_states.outputs,
                         _as_list(self.transition.initial_states(batch_size, **contexts))))
        found["outputs"] = self.readout.initial_outputs(batch_size)
        return [found[n] for n in self.generate.states]

    @initial_states.property("outputs")
    def initial_states_outputs(self) -> list[str]:
        """The states of ``generate``."""
        return list(self.generate.states)
