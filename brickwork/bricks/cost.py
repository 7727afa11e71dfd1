"""Cost bricks: ``apply(y, y_hat)``, targets first, averaged over the batch."""

from __future__ import annotations

from typing import Any

from .. import tensor
from ..errors import BrickError
from ..roles import COST, add_role
from ..tensor.checks import check_range
from ..tensor.variable import Variable
from .base import Brick, application
from .simple import cross_entropy_from_logits


class Cost(Brick):
    """Base class; ``apply(y, y_hat)`` returns a scalar tagged ``COST``."""

    def _cost(self, y: Variable, y_hat: Variable) -> Variable:
        raise NotImplementedError

    @application(inputs=["y", "y_hat"], outputs=["cost"])
    def apply(self, y: Any, y_hat: Any) -> Variable:
        cost = self._cost(tensor.as_variable(y), tensor.as_variable(y_hat))
        add_role(cost, COST)
        return cost


class SquaredError(Cost):
    """Squared error summed over features (last axis), averaged over the rest, as in Blocks."""

    def _cost(self, y, y_hat):
        return ((y - y_hat) ** 2).sum(axis=-1).mean()


class BinaryCrossEntropy(Cost):
    """``-y log p - (1 - y) log(1 - p)``, summed over features, averaged over the rest.

    ``from_logits=True`` takes scores instead of probabilities and is stable
    for any score: ``softplus(s) - y * s``.
    """

    def __init__(self, from_logits: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.from_logits = from_logits

    def _cost(self, y, y_hat):
        if self.from_logits:
            per_feature = tensor.softplus(y_hat) - y * y_hat
        else:
            p = tensor.clip(y_hat, 1e-7, 1 - 1e-7)
            per_feature = -(y * tensor.log(p) + (1 - y) * tensor.log(1 - p))
        return per_feature.sum(axis=-1).mean()


class CategoricalCrossEntropy(Cost):
    """``-log p(y)``, averaged; ``y`` integer labels (or one-hot), ``y_hat`` probabilities.

    ``from_logits=True`` takes scores and uses a stable log-softmax.
    """

    def __init__(self, from_logits: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.from_logits = from_logits

    def _cost(self, y, y_hat):
        if self.from_logits:
            return cross_entropy_from_logits(y, y_hat, self._where()).mean()
        log_p = tensor.log(tensor.clip(y_hat, 1e-12, 1.0))
        if y.type.dtype.kind in "iu":
            labels = check_range(y, log_p.shape[-1], self._where(), "class label", "the number of classes")
            return -tensor.pick_labels(log_p, labels).mean()
        return -(y * log_p).sum(axis=-1).mean()


    def _where(self) -> str:
        return f"{self.get_hierarchical_name()}.apply: input 'y'"


class MisclassificationRate(Cost):
    """The fraction of examples whose label ``y`` is not among the ``top_k`` best scores.

    Parameters
    ----------
    top_k : int, optional
        Default 1 (the arg-max). Ties at the ``top_k``-th place count as
        mistakes, as in Blocks: the label is right only when fewer than
        ``top_k`` classes score at least as high as it.

    Notes
    -----
    ``apply(y, y_hat)``: labels ``(batch,)``, scores ``(batch, classes)``;
    returns ``error_rate``, a scalar.
    """

    def __init__(self, top_k: int = 1, **kwargs: Any):
        super().__init__(**kwargs)
        if int(top_k) != top_k or top_k < 1:
            raise BrickError(f"MisclassificationRate: top_k must be a positive integer, got {top_k!r}")
        self.top_k = int(top_k)

    @application(inputs=["y", "y_hat"], outputs=["error_rate"])
    def apply(self, y: Any, y_hat: Any) -> Variable:
        y, y_hat = tensor.as_variable(y), tensor.as_variable(y_hat)
        if self.top_k == 1:
            wrong = tensor.neq(y_hat.argmax(axis=-1), y)
        else:
            truth = y_hat[tensor.arange(y_hat.shape[0]), y]
            at_least = tensor.cast(y_hat >= tensor.expand_dims(truth, 1), "int64").sum(axis=-1)
            wrong = at_least - 1 >= self.top_k
        return tensor.cast(wrong, y_hat.dtype).mean()
