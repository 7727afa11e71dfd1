"""The kinds of quick-start model: what they predict and the loss they minimize."""

from __future__ import annotations

from typing import Any

from .. import tensor
from .network import Network


class Regressor(Network):
    """Predicts real targets (at every time step, for recurrent models); loss: mean squared error."""

    per_sequence_target = False

    @property
    def output_batch_axis(self) -> int:
        """The batch axis of :meth:`predict`'s result."""
        return 1 if self.recurrent else 0

    def prediction(self) -> Any:
        """The symbolic prediction: ``(time, batch, outputs)`` or ``(batch, outputs)``."""
        return self.output

    def _cost_count(self) -> Any:
        """The loss is a mean over the unmasked steps (for distributed training)."""
        return self.mask.sum() if self.recurrent else None

    def cost(self) -> tuple[Any, Any]:
        """The symbolic loss and its target variable ``y``."""
        y = tensor.tensor3("y") if self.recurrent else tensor.matrix("y")
        error = (self.output - y) ** 2
        if self.recurrent:
            error = error * tensor.expand_dims(self.mask, -1)
            cost = error.sum() / (self.mask.sum() * self.output_dim)
        else:
            cost = error.mean()
        cost.name = "loss"
        return cost, y

    def metrics(self) -> list:
        """The quantities monitored on validation data."""
        return [self.cost()[0]]


class Classifier(Network):
    """Predicts a class per example (per sequence, from its last step); loss: cross-entropy."""

    per_sequence_target = True
    output_batch_axis = 0

    def _scores(self) -> Any:
        return self.output[-1] if self.recurrent else self.output

    def prediction(self) -> Any:
        """The symbolic class probabilities ``(batch, classes)``."""
        return tensor.softmax(self._scores())

    def cost(self) -> tuple[Any, Any]:
        """The symbolic loss and its target variable ``y``."""
        y = tensor.lvector("y")
        scores = self._scores()
        log_p = tensor.log_softmax(scores)
        cost = -log_p[tensor.arange(log_p.shape[0]), y].mean()
        cost.name = "loss"
        return cost, y

    def metrics(self) -> list:
        """The quantities monitored on validation data: loss and accuracy."""
        cost, y = self.cost()
        accuracy = tensor.cast(tensor.eq(self._scores().argmax(axis=-1), y), "float32").mean()
        accuracy.name = "accuracy"
        return [cost, accuracy]


MODEL_CLASSES = {"Regressor": Regressor, "Classifier": Classifier}
