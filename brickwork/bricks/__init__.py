"""Bricks: parametrized transformations that build graphs (``brickwork.bricks``)."""

from .base import Application, ApplicationCall, BoundApplication, Brick, application, check_features, lazy
from .cost import BinaryCrossEntropy, CategoricalCrossEntropy, Cost, MisclassificationRate, SquaredError
from .interfaces import Feedforward, Initializable, Random
from .lookup import LookupTable
from .noise import Dropout
from .normalization import LayerNormalization
from .parallel import Distribute, Fork, Merge, Parallel
from .sequences import MLP, FeedforwardSequence, Sequence
from .simple import (Bias, Identity, LeakyRectifier, Linear, LinearMaxout, Logistic, Maxout, Rectifier,
                     Softmax, Softplus, Tanh)

__all__ = [
    "Application", "ApplicationCall", "Bias", "BinaryCrossEntropy", "BoundApplication", "Brick",
    "CategoricalCrossEntropy", "Cost", "Distribute", "Dropout", "Feedforward", "FeedforwardSequence",
    "Fork", "Identity", "Initializable", "LayerNormalization", "LeakyRectifier", "Linear",
    "LinearMaxout", "Logistic", "LookupTable", "MLP", "Maxout", "Merge", "MisclassificationRate",
    "Parallel", "Random", "Rectifier", "Sequence", "Softmax", "Softplus", "SquaredError", "Tanh",
    "application", "check_features", "lazy",
]
