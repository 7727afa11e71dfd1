"""Content-based attention over a sequence, and recurrent transitions that use it.

:class:`SequenceContentAttention` scores every position of an *attended*
sequence ``(time, batch, attended_dim)`` against the current states of a
recurrent network and returns the weighted average of the attended vectors
(a *glimpse*). :class:`AttentionRecurrent` wraps any recurrent transition so
that each step first takes glimpses from its previous states, then computes
its new states with the glimpses added to its inputs (through a
distribute brick: one linear map from the glimpse to each input).

As in Blocks, the attended sequence is projected once, outside the loop
(``preprocess``), and handed to every step as a context. Differences from
Blocks, which Theano imposed there:

* masked positions get exactly zero weight through a select, and a row whose
  positions are all masked gets all-zero weights (Blocks multiplied by the
  mask and divided by the sum, which is NaN for an all-masked row);
* the step reads the attended sequence as a scan context; brickwork's scan
  keeps loop-invariant work (such as ``preprocess`` when the caller leaves it
  to the step) outside the loop by itself.
"""

from __future__ import annotations

from typing import Any

from .. import tensor
from ..errors import BrickError
from ..tensor.variable import Variable
from .base import Brick, application, lazy
from .interfaces import Feedforward, Initializable
from .parallel import Distribute, Parallel
from .recurrent.base import BaseRecurrent, recurrent
from .sequences import Sequence
from .simple import Linear, Tanh


class ShallowEnergyComputer(Sequence, Initializable, Feedforward):
    """Energies ``tanh(x) @ w``: ``(..., input_dim)`` -> ``(..., output_dim)`` (usually 1).

    Parameters
    ----------
    use_bias : bool
        Add a bias to the energies (changes nothing under a softmax).
    input_dim, output_dim : int, optional
        Usually set by the attention brick that owns it.
    """

    @lazy()
    def __init__(self, use_bias: bool = False, input_dim: int | None = None,
                 output_dim: int | None = None, **kwargs: Any):
        linear = Linear(input_dim=input_dim, output_dim=output_dim, use_bias=use_bias)
        super().__init__([Tanh().apply, linear.apply], **kwargs)

    @property
    def input_dim(self) -> int:
        """The size of the vectors scored (the attention's ``match_dim``)."""
        return self.children[1].input_dim

    @input_dim.setter
    def input_dim(self, value: int) -> None:
        self.children[1].input_dim = value

    @property
    def output_dim(self) -> int:
        """The number of energies per vector (1 for attention)."""
        return self.children[1].output_dim

    @output_dim.setter
    def output_dim(self, value: int) -> None:
        self.children[1].output_dim = value


class SequenceContentAttention(Initializable):
    """Attention by content: ``energy(W_s s + W_a a_t)`` scored at every position ``t``.

    Parameters
    ----------
    state_names : list of str
        The states of the recurrent network that query the attended sequence.
    attended_dim : int
        Features of the attended sequence.
    match_dim : int
        Size of the space where states and attended vectors are compared.
    state_dims : list of int, optional
        Sizes of the states (an :class:`AttentionRecurrent` sets them).
    state_transformer : Feedforward brick, optional
        Copied for each state (default ``Linear(use_bias=False)``).
    attended_transformer : Feedforward brick, optional
        The ``preprocess`` projection (default ``Linear``).
    energy_computer : Feedforward brick, optional
        Maps ``(..., match_dim)`` to ``(..., 1)`` (default
        :class:`ShallowEnergyComputer`).
    """

    @lazy(allocation=["match_dim"])
    def __init__(self, state_names: list[str], attended_dim: int | None = None,
                 match_dim: int | None = None, state_dims: list[int] | None = None,
                 state_transformer: Any = None, attended_transformer: Any = None,
                 energy_computer: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.state_names, self.state_dims = list(state_names), state_dims
        self.attended_dim, self.match_dim = attended_dim, match_dim
        prototype = state_transformer if state_transformer is not None else Linear(use_bias=False)
        self.state_transformers = Parallel(self.state_names, prototype=prototype, name="state_trans")
        self.attended_transformer = attended_transformer or Linear(name="preprocess")
        self.energy_computer = energy_computer or ShallowEnergyComputer(name="energy_comp")
        self.children = [self.state_transformers, self.attended_transformer, self.energy_computer]

    def _push_allocation_config(self) -> None:
        if self.state_dims is None:
            raise BrickError(f"{self.get_hierarchical_name()}: cannot allocate, 'state_dims' is "
                             f"not set (pass it, or wrap the attention in an AttentionRecurrent)")
        self.state_transformers.input_dims = list(self.state_dims)
        self.state_transformers.output_dims = [self.match_dim] * len(self.state_names)
        self.attended_transformer.input_dim = self.attended_dim
        self.attended_transformer.output_dim = self.match_dim
        self.energy_computer.input_dim, self.energy_computer.output_dim = self.match_dim, 1

    def get_dim(self, name: str) -> int:
        dims = {"attended": self.attended_dim, "weighted_averages": self.attended_dim,
                "preprocessed_attended": self.match_dim, "attended_mask": 0, "weights": 0}
        if name in dims:
            return dims[name]
        if name in self.state_names and self.state_dims is not None:
            return self.state_dims[self.state_names.index(name)]
        return super().get_dim(name)

    @application(inputs=["attended"], outputs=["preprocessed_attended"])
    def preprocess(self, attended: Any) -> Variable:
        """``attended`` ``(time, batch, attended_dim)`` -> ``(time, batch, match_dim)``."""
        return self.attended_transformer.apply(attended)

    def compute_energies(self, attended: Any, preprocessed_attended: Any, states: dict) -> Variable:
        """Energies ``(time, batch)`` of every attended position for the ``states`` ``(batch, dim)``."""
        if preprocessed_attended is None:
            preprocessed_attended = self.preprocess(attended)
        queries = self.state_transformers.apply(**{n: states[n] for n in self.state_names},
                                                as_list=True)
        match = preprocessed_attended + sum(queries[1:], queries[0])
        energies = self.energy_computer.apply(match)
        return energies[..., 0]

    @application(outputs=["weighted_averages", "weights"])
    def take_glimpses(self, attended: Any, preprocessed_attended: Any = None,
                      attended_mask: Any = None, **states: Any) -> list[Variable]:
        """Weights ``(batch, time)`` over the attended positions and their average ``(batch, attended_dim)``.

        ``attended`` is ``(time, batch, attended_dim)``, ``attended_mask``
        ``(time, batch)`` of 0/1, each state ``(batch, state_dim)``.
        """
        missing = [n for n in self.state_names if n not in states]
        if missing:
            raise BrickError(f"{self.get_hierarchical_name()}.take_glimpses: states {missing} "
                             f"are missing; it needs {self.state_names}")
        energies = self.compute_energies(attended, preprocessed_attended, states)
        weights = masked_softmax(energies, attended_mask)
        # a batched product (batch, 1, time) @ (batch, time, dim): one pass, no (time, batch, dim)
        # temporary; the transposed attended sequence is loop-invariant, made once outside a scan
        by_batch = tensor.as_variable(attended).transpose((1, 0, 2))
        averages = tensor.matmul(tensor.expand_dims(weights.T, 1), by_batch)[:, 0, :]
        return [averages, weights.T]

    @take_glimpses.property("inputs")
    def take_glimpses_inputs(self) -> list[str]:
        """``attended``, ``preprocessed_attended``, ``attended_mask`` and the states."""
        return ["attended", "preprocessed_attended", "attended_mask"] + self.state_names

    @application(outputs=["weighted_averages", "weights"])
    def initial_glimpses(self, batch_size: Any, attended: Any) -> list[Variable]:
        """Zeros: ``(batch_size, attended_dim)`` and ``(batch_size, time)``."""
        attended = tensor.as_variable(attended)
        return [tensor.zeros((batch_size, self.attended_dim), dtype=attended.dtype),
                tensor.zeros((batch_size, attended.shape[0]), dtype=attended.dtype)]


def masked_softmax(energies: Any, mask: Any = None) -> Variable:
    """Softmax over axis 0 of ``energies`` ``(time, batch)``; masked positions get exactly 0.

    A column whose positions are all masked gets all-zero weights, not NaN.
    """
    energies = tensor.as_variable(energies)
    shifted = energies - energies.max(axis=0, keepdims=True)
    if mask is None:
        return tensor.softmax(shifted.T).T
    keep = tensor.as_variable(mask) > 0
    unnormalized = tensor.where(keep, tensor.exp(shifted), 0.0)
    total = unnormalized.sum(axis=0, keepdims=True)
    return unnormalized / tensor.where(total > 0, total, 1.0)


class AttentionRecurrent(BaseRecurrent, Initializable):
    """Any recurrent ``transition`` that attends a sequence at every step.

    Each step takes glimpses from the previous states (``take_glimpses``),
    then computes the new states (``compute_states``) with ``distribute``
    adding the glimpse to the transition's inputs. The states of ``apply``
    are the transition's states followed by the glimpses; its contexts the
    transition's contexts and ``attended``, ``attended_mask``.

    Parameters
    ----------
    transition : recurrent brick
        Its ``apply`` must accept ``iterate=False`` (all bricks of
        :mod:`brickwork.bricks.recurrent` do).
    attention : SequenceContentAttention or a brick with its interface
    distribute : brick, optional
        ``apply(**targets_and_source)`` returning the new targets; by default a
        :class:`~brickwork.bricks.Distribute` from ``weighted_averages`` to every
        input of the transition but ``mask``.
    add_contexts : bool
        Add ``attended`` and ``attended_mask`` to the contexts (if False, the
        transition's first two contexts play their part).
    """

    def __init__(self, transition: Brick, attention: Brick, distribute: Brick | None = None,
                 add_contexts: bool = True, attended_name: str | None = None,
                 attended_mask_name: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._sequence_names = list(transition.apply.sequences)
        self._state_names = list(transition.apply.states)
        self._context_names = list(transition.apply.contexts)
        if add_contexts:
            attended_name, attended_mask_name = attended_name or "attended", attended_mask_name or "attended_mask"
            self._context_names += [attended_name, attended_mask_name]
        else:
            attended_name, attended_mask_name = self._context_names[:2]
        self.attended_name, self.attended_mask_name = attended_name, attended_mask_name
        self.preprocessed_attended_name = "preprocessed_" + attended_name
        self._glimpse_names = list(attention.take_glimpses.outputs)
        self.distribute = distribute or Distribute(
            [n for n in self._sequence_names if "mask" not in n], self._glimpse_names[0])
        self.transition, self.attention, self.add_contexts = transition, attention, add_contexts
        self.children = [transition, attention, self.distribute]

    def _push_allocation_config(self) -> None:
        self.attention.state_dims = self.transition.get_dims(self.attention.state_names)
        self.distribute.source_dim = self.attention.get_dim(self.distribute.source_name)
        self.distribute.target_dims = self.transition.get_dims(self.distribute.target_names)

    def get_dim(self, name: str) -> int:
        if name in self._glimpse_names:
            return self.attention.get_dim(name)
        if name == self.preprocessed_attended_name:
            return self.attention.get_dim("preprocessed_attended")
        if self.add_contexts and name == self.attended_name:
            return self.attention.get_dim("attended")
        if self.add_contexts and name == self.attended_mask_name:
            return 0
        return self.transition.get_dim(name)

    @application
    def take_glimpses(self, **kwargs: Any) -> Any:
        """The glimpses (``weighted_averages`` ``(batch, attended_dim)``, ``weights``
        ``(batch, time)``) from the previous states, the attended sequence and its mask."""
        states = {n: kwargs[n] for n in self._state_names}
        return self.attention.take_glimpses(
            kwargs[self.attended_name], kwargs.get(self.preprocessed_attended_name),
            kwargs.get(self.attended_mask_name), **states)

    @take_glimpses.property("outputs")
    def take_glimpses_outputs(self) -> list[str]:
        """The attention's glimpses."""
        return list(self._glimpse_names)

    @application
    def compute_states(self, **kwargs: Any) -> Any:
        """The transition's new states ``(batch, dim)`` from its inputs, previous states and the
        current glimpses (added to the inputs by ``distribute``)."""
        inputs = [n for n in self._sequence_names if "mask" not in n]
        sequences = {n: kwargs[n] for n in inputs if n in kwargs}
        sources = {**sequences, **{n: kwargs[n] for n in self._glimpse_names}}
        added = self.distribute.apply(**{n: sources[n] for n in self.distribute.apply.inputs})
        added = [added] if isinstance(added, Variable) else list(added)
        sequences.update(zip(self.distribute.apply.outputs, added))
        rest = {n: kwargs[n] for n in self._state_names + self.transition.apply.contexts if n in kwargs}
        return self.transition.apply(iterate=False, **sequences, **rest)

    @compute_states.property("outputs")
    def compute_states_outputs(self) -> list[str]:
        """The transition's states."""
        return list(self._state_names)

    @recurrent
    def do_apply(self, **kwargs: Any) -> list[Variable]:
        """One step: glimpses from the previous states, then the new states; returns the
        states and the glimpses."""
        glimpses = self.take_glimpses(**kwargs)
        glimpses = dict(zip(self._glimpse_names, _as_list(glimpses)))
        previous = {k: v for k, v in kwargs.items() if k not in self._glimpse_names}
        states = _as_list(self.compute_states(**previous, **glimpses))
        return states + [glimpses[n] for n in self._glimpse_names]

    @do_apply.property("sequences")
    def do_apply_sequences(self) -> list[str]:
        """The transition's sequences."""
        return list(self._sequence_names)

    @do_apply.property("contexts")
    def do_apply_contexts(self) -> list[str]:
        """The contexts, and the preprocessed attended sequence."""
        return self._context_names + [self.preprocessed_attended_name]

    @do_apply.property("states")
    def do_apply_states(self) -> list[str]:
        """The transition's states, then the glimpses."""
        return self._state_names + self._glimpse_names

    @do_apply.property("outputs")
    def do_apply_outputs(self) -> list[str]:
        """The transition's states, then the glimpses."""
        return self._state_names + self._glimpse_names

    @application
    def apply(self, **kwargs: Any) -> Any:
        """The transition run over its sequences ``(time, batch, ...)`` attending
        ``attended`` ``(source_time, batch, attended_dim)``; returns its states, then the
        glimpses, each ``(time, batch, ...)``. Call keywords as for any ``@recurrent``."""
        if kwargs.get(self.attended_name) is None:
            raise BrickError(f"{self.get_hierarchical_name()}.apply: the context "
                             f"{self.attended_name!r} is missing")
        preprocessed = self.attention.preprocess(kwargs[self.attended_name])
        return self.do_apply(**kwargs, **{self.preprocessed_attended_name: preprocessed})

    @apply.property("outputs")
    def apply_outputs(self) -> list[str]:
        """The transition's states, then the glimpses."""
        return self._state_names + self._glimpse_names

    @apply.property("inputs")
    def apply_inputs(self) -> list[str]:
        """Everything ``apply`` takes by name: sequences, states, glimpses, contexts."""
        return self._sequence_names + self._state_names + self._glimpse_names + self._context_names

    @apply.property("sequences")
    def apply_sequences(self) -> list[str]:
        """The transition's sequences."""
        return list(self._sequence_names)

    @apply.property("states")
    def apply_states(self) -> list[str]:
        """The transition's states, then the glimpses."""
        return self._state_names + self._glimpse_names

    @apply.property("contexts")
    def apply_contexts(self) -> list[str]:
        """The contexts of ``apply``: the transition's, then ``attended`` and ``attended_mask``."""
        return list(self._context_names)

    @application
    def initial_states(self, batch_size: Any, *args: Any, **kwargs: Any) -> list[Variable]:
        """The transition's initial states, then the attention's initial glimpses."""
        contexts = {n: kwargs[n] for n in self.transition.apply.contexts if n in kwargs}
        return (_as_list(self.transition.initial_states(batch_size, **contexts))
                + _as_list(self.attention.initial_glimpses(batch_size, kwargs[self.attended_name])))

    @initial_states.property("outputs")
    def initial_states_outputs(self) -> list[str]:
        """The states of ``generate``."""
        return self._state_names + self._glimpse_names


def _as_list(values: Any) -> list:
    return list(values) if isinstance(values, (list, tuple)) else [values]
