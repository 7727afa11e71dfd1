"""``Dropout`` as a brick."""

from __future__ import annotations

from typing import Any

from ..tensor.variable import Variable
from .base import application
from .interfaces import Random


class Dropout(Random):
    """Zero each input with probability ``drop_prob`` while training.

    Inverted dropout: kept values are scaled by ``1 / (1 - drop_prob)``, so
    inference is the identity. The mode is the brick's ``training`` flag
    (default True); set ``brick.training = False`` before building the
    inference graph, as with ``model.eval()`` in PyTorch. Masks come from the
    brick's seeded random streams: a given ``seed`` draws the same masks.
    """

    def __init__(self, drop_prob: float = 0.5, training: bool = True, **kwargs: Any):
        super().__init__(**kwargs)
        self.drop_prob, self.training = drop_prob, training

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_: Variable) -> Variable:
        if not self.training or self.drop_prob == 0:
            return input_
        keep = 1.0 - self.drop_prob
        mask = self.streams.binomial(input_.shape, p=keep, dtype=input_.dtype)
        return input_ * mask / keep
