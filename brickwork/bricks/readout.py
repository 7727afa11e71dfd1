"""The parts of a sequence generator around its transition: readout, emitters, feedback.

A :class:`Readout` maps the sources it reads (states, glimpses, contexts)
to *readouts* ``(..., readout_dim)``; its *emitter* turns readouts into
outputs (:class:`SoftmaxEmitter` samples classes, :class:`TrivialEmitter`
passes real vectors through) and prices given outputs (``cost``); its
*feedback brick* turns an output into the next step's input
(:class:`LookupFeedback` embeds classes, :class:`TrivialFeedback` passes
them through). They are used by :mod:`brickwork.bricks.sequence_generators`,
which re-exports them.

Differences from Blocks: :class:`SoftmaxEmitter` samples with
:meth:`RandomStreams.categorical` (a NumPy generator whose state checkpoints
save, draws inside a scan included) instead of Theano's MRG multinomial;
:class:`TrivialEmitter` has a cost (the squared error), where Blocks left it
to subclasses.
"""

from __future__ import annotations

from typing import Any

from .. import tensor
from ..errors import BrickError
from ..tensor.variable import Variable
from .base import Brick, application, lazy
from .interfaces import Initializable, Random
from .lookup import LookupTable
from .parallel import Merge
from .simple import Bias


class SoftmaxEmitter(Random, Initializable):
    """Outputs are classes drawn from ``softmax(readouts)``; the cost is their negative log-probability.

    Parameters
    ----------
    initial_output : int
        The "previous output" fed back at the first step.
    """

    def __init__(self, initial_output: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        self.initial_output = initial_output

    @application(outputs=["probs"])
    def probs(self, readouts: Any) -> Variable:
        """``(..., classes)`` readouts -> probabilities of the same shape."""
        return tensor.softmax(readouts)

    @application(outputs=["log_probs"])
    def log_probs(self, readouts: Any) -> Variable:
        """``(..., classes)`` readouts -> log-probabilities of the same shape."""
        return tensor.log_softmax(readouts)

    @application(outputs=["outputs"])
    def emit(self, readouts: Any) -> Variable:
        """One class per row of ``readouts`` ``(..., classes)``: int64 ``(...)``."""
        return self.streams.categorical(self.probs(readouts))

    @application(outputs=["costs"])
    def cost(self, readouts: Any, outputs: Any) -> Variable:
        """``-log p(outputs)``: readouts ``(..., classes)``, outputs ``(...)`` -> ``(...)``."""
        chosen = tensor.expand_dims(tensor.as_variable(outputs), -1)
        return -tensor.take_along_axis(self.log_probs(readouts), chosen, -1)[..., 0]

    @application(outputs=["outputs"])
    def initial_outputs(self, batch_size: Any) -> Variable:
        """``initial_output`` repeated: int64 ``(batch_size,)``."""
        return tensor.alloc(self.initial_output, (batch_size,), dtype="int64")

    def get_dim(self, name: str) -> int:
        return 0 if name == "outputs" else super().get_dim(name)


class TrivialEmitter(Brick):
    """The readouts are the outputs (real-valued sequences); the cost is the squared error
    summed over features (Blocks left the cost to subclasses).

    Parameters
    ----------
    readout_dim : int
    """

    @lazy(allocation=["readout_dim"])
    def __init__(self, readout_dim: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.readout_dim = readout_dim

    @application(outputs=["outputs"])
    def emit(self, readouts: Any) -> Variable:
        """``(..., readout_dim)`` -> the same."""
        return tensor.as_variable(readouts)

    @application(outputs=["costs"])
    def cost(self, readouts: Any, outputs: Any) -> Variable:
        """``sum((readouts - outputs) ** 2)`` over the last axis: ``(...)``."""
        return ((tensor.as_variable(readouts) - outputs) ** 2).sum(axis=-1)

    @application(outputs=["outputs"])
    def initial_outputs(self, batch_size: Any) -> Variable:
        """Zeros ``(batch_size, readout_dim)``."""
        return tensor.zeros((batch_size, self.readout_dim))

    def get_dim(self, name: str) -> int:
        return self.readout_dim if name == "outputs" else super().get_dim(name)


class LookupFeedback(Initializable):
    """Feeds back an embedding of each output class: int ``(...)`` -> ``(..., feedback_dim)``.

    Parameters
    ----------
    num_outputs, feedback_dim : int
    """

    @lazy(allocation=["num_outputs", "feedback_dim"])
    def __init__(self, num_outputs: int, feedback_dim: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.num_outputs, self.feedback_dim = num_outputs, feedback_dim
        self.lookup = LookupTable(num_outputs, feedback_dim)
        self.children = [self.lookup]

    def _push_allocation_config(self) -> None:
        self.lookup.length, self.lookup.dim = self.num_outputs, self.feedback_dim

    @application(outputs=["feedback"])
    def feedback(self, outputs: Any) -> Variable:
        return self.lookup.apply(outputs)

    def get_dim(self, name: str) -> int:
        return self.feedback_dim if name == "feedback" else super().get_dim(name)


class TrivialFeedback(Brick):
    """Feeds back the outputs themselves: ``(..., output_dim)``.

    Parameters
    ----------
    output_dim : int
    """

    @lazy(allocation=["output_dim"])
    def __init__(self, output_dim: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.output_dim = output_dim

    @application(outputs=["feedback"])
    def feedback(self, outputs: Any) -> Variable:
        return tensor.as_variable(outputs)

    def get_dim(self, name: str) -> int:
        return self.output_dim if name == "feedback" else super().get_dim(name)


class Readout(Initializable):
    """States and glimpses -> readouts -> outputs and costs (through ``emitter``), and
    outputs -> feedback (through ``feedback_brick``).

    Parameters
    ----------
    readout_dim : int
        Size of the readouts (the number of classes for a softmax emitter).
    source_names : list of str
        States, glimpses or contexts the readouts are computed from.
    emitter : SoftmaxEmitter, TrivialEmitter or a brick with their interface
        Default ``TrivialEmitter(readout_dim)``.
    feedback_brick : LookupFeedback, TrivialFeedback or alike
        Default ``TrivialFeedback(readout_dim)``.
    merge : brick, optional
        Combines the sources; default :class:`~brickwork.bricks.Merge` (a copy of
        ``merge_prototype`` for each, summed) into ``merged_dim``.
    post_merge : Feedforward brick, optional
        Applied after ``merge``; default ``Bias(readout_dim)``.
    merged_dim : int, optional
        Output size of ``merge``; default ``readout_dim``.
    merge_prototype : Feedforward brick, optional
        For the default ``merge``; default ``Linear(use_bias=False)``.
    """

    @lazy(allocation=["source_dims"])
    def __init__(self, readout_dim: int, source_names: list[str], emitter: Brick | None = None,
                 feedback_brick: Brick | None = None, merge: Brick | None = None,
                 post_merge: Brick | None = None, merged_dim: int | None = None,
                 merge_prototype: Brick | None = None, source_dims: list[int] | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.readout_dim, self.source_names = readout_dim, list(source_names)
        self.merged_dim = merged_dim or readout_dim
        self.source_dims = source_dims
        self.emitter = emitter or TrivialEmitter(readout_dim, name="emitter")
        self.feedback_brick = feedback_brick or TrivialFeedback(readout_dim, name="feedback")
        self.merge = merge or Merge(self.source_names, prototype=merge_prototype, name="merge")
        self.post_merge = post_merge or Bias(name="bias")
        self.children = [self.emitter, self.feedback_brick, self.merge, self.post_merge]

    def _push_allocation_config(self) -> None:
        self.merge.input_dims, self.merge.output_dim = self.source_dims, self.merged_dim
        if isinstance(self.post_merge, Bias):
            self.post_merge.dim = self.readout_dim
        else:
            self.post_merge.input_dim, self.post_merge.output_dim = self.merged_dim, self.readout_dim
        if isinstance(self.emitter, TrivialEmitter):
            self.emitter.readout_dim = self.readout_dim

    @application(outputs=["readouts"])
    def readout(self, **kwargs: Any) -> Variable:
        """Readouts ``(..., readout_dim)`` from the sources (any extra keywords are ignored)."""
        missing = [n for n in self.source_names if n not in kwargs]
        if missing:
            raise BrickError(f"{self.get_hierarchical_name()}.readout: sources {missing} are "
                             f"missing; it reads {self.source_names}")
        merged = self.merge.apply(**{n: kwargs[n] for n in self.source_names})
        return self.post_merge.apply(merged)

    @application(outputs=["outputs"])
    def emit(self, readouts: Any) -> Variable:
        return self.emitter.emit(readouts)

    @application(outputs=["costs"])
    def cost(self, readouts: Any, outputs: Any) -> Variable:
        return self.emitter.cost(readouts, outputs)

    @application(outputs=["outputs"])
    def initial_outputs(self, batch_size: Any) -> Variable:
        return self.emitter.initial_outputs(batch_size)

    @application(outputs=["feedback"])
    def feedback(self, outputs: Any) -> Variable:
        return self.feedback_brick.feedback(outputs)

    def get_dim(self, name: str) -> int:
        if name == "outputs":
            return self.emitter.get_dim(name)
        if name == "feedback":
            return self.feedback_brick.get_dim(name)
        if name == "readouts":
            return self.readout_dim
        if name in self.source_names and self.source_dims is not None:
            return self.source_dims[self.source_names.index(name)]
        return super().get_dim(name)
