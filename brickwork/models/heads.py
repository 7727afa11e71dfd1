"""The kinds of quick-start model: what they predict and the loss they minimize."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import tensor
from ..tensor.checks import check_range
from .network import Network


class Regressor(Network):
    """Predicts real targets (at every time step, for recurrent models); loss: mean squared error.

    Targets ``y``: ``(time, batch, outputs)`` (masked steps do not count), or
    ``(batch, outputs)`` for dense-only models.
    """

    per_sequence_target = False

    @property
    def output_batch_axis(self) -> int:
        """The batch axis of :meth:`predict`'s result (time-major)."""
        return 1 if self.recurrent else 0

    def prediction(self) -> Any:
        """The symbolic prediction: ``(time, batch, outputs)`` or ``(batch, outputs)``."""
        return self.output

    def _cost_count(self) -> Any:
        """The loss is a mean over the unmasked steps (for distributed training)."""
        return self.mask.sum() if self.recurrent else None

    def _loss(self, output: Any, y: Any) -> Any:
        error = (output - y) ** 2
        if self.recurrent:
            error = error * tensor.expand_dims(self.mask, -1)
            cost = error.sum() / (self.mask.sum() * self.output_dim)
        else:
            cost = error.mean()
        cost.name = "loss"
        return cost

    def cost(self) -> tuple[Any, Any]:
        """The symbolic training loss (dropout on) and its target variable ``y``."""
        y = tensor.tensor3("y") if self.recurrent else tensor.matrix("y")
        return self._loss(self.train_output, y), y

    def metrics(self) -> list:
        """The quantities monitored on validation data (dropout off): the loss."""
        y = tensor.tensor3("y") if self.recurrent else tensor.matrix("y")
        return [self._loss(self.output, y)]


class Classifier(Network):
    """Predicts a class per example, or per time step with ``per_step=True``; loss: cross-entropy.

    A recurrent classifier reads the last time step (masked sequences keep
    their last real state, so that is where they end); targets ``y`` are
    integer labels ``(batch,)``. With ``per_step=True`` (tagging) it
    predicts at every step, targets are ``(time, batch)`` labels and masked
    steps do not count in the loss or the accuracy.

    Parameters
    ----------
    layers : list of specs
    per_step : bool
    **options
        As for :class:`~brickwork.models.network.Network`.
    """

    def __init__(self, layers: Sequence[Any], per_step: bool = False, **options: Any):
        self.per_step = per_step
        super().__init__(layers, **options)

    @property
    def per_sequence_target(self) -> bool:
        """Whether targets have one label per sequence (not per step)."""
        return not self.per_step

    @property
    def output_batch_axis(self) -> int:
        """The batch axis of :meth:`predict`'s result (time-major)."""
        return 1 if self.per_step and self.recurrent else 0

    def options(self) -> dict[str, Any]:
        """The constructor's options other than the layers, as saved with the model."""
        return {**super().options(), "per_step": self.per_step}

    def _prediction_rows(self) -> list[tuple[str, str, str, str]]:
        step = "the last step" if self.recurrent and not self.per_step else "each example"
        step = "each step" if self.recurrent and self.per_step else step
        shape = self._shape(self.output_dim, self.per_step)
        return [("predict", f"softmax over classes, at {step}", shape, "0")]

    def _scores(self, output: Any) -> Any:
        return output[-1] if self.recurrent and not self.per_step else output

    def prediction(self) -> Any:
        """The symbolic class probabilities ``(batch, classes)``, or ``(time, batch, classes)`` per step."""
        return tensor.softmax(self._scores(self.output))

    def _target(self) -> Any:
        return tensor.lmatrix("y") if self.per_step and self.recurrent else tensor.lvector("y")

    def _cost_count(self) -> Any:
        """Tagging: the loss is a mean over the unmasked steps (for distributed training)."""
        return self.mask.sum() if self.per_step and self.recurrent else None

    def _weights(self) -> Any:
        """Each label's weight in the means: the mask per step, else None (all equal)."""
        return self.mask.flatten() if self.per_step and self.recurrent else None

    def _loss_and_hits(self, output: Any, y: Any) -> tuple[Any, Any]:
        scores = self._scores(output)
        flat = scores.reshape((-1, self.output_dim))
        weights = self._weights()
        labels = y.flatten()
        if weights is not None:  # padded steps may hold any label; they do not count
            labels = tensor.where(weights > 0, labels, 0)
        labels = check_range(labels, self.output_dim, "Classifier: target 'y'", "class label",
                             "the number of classes, the last layer's width")
        picked = tensor.pick_labels(tensor.log_softmax(flat), labels)
        hits = tensor.cast(tensor.eq(flat.argmax(axis=-1), labels), "float32")
        if weights is None:
            return -picked.mean(), hits.mean()
        total = weights.sum()
        return -(picked * weights).sum() / total, (hits * weights).sum() / total

    def cost(self) -> tuple[Any, Any]:
        """The symbolic training loss (dropout on) and its target variable ``y``."""
        y = self._target()
        cost, _ = self._loss_and_hits(self.train_output, y)
        cost.name = "loss"
        return cost, y

    def metrics(self) -> list:
        """The quantities monitored on validation data (dropout off): loss and accuracy."""
        cost, accuracy = self._loss_and_hits(self.output, self._target())
        cost.name, accuracy.name = "loss", "accuracy"
        return [cost, accuracy]


MODEL_CLASSES = {"Regressor": Regressor, "Classifier": Classifier}
