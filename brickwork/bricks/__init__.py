"""Bricks: parametrized transformations that build graphs (``brickwork.bricks``)."""

from .base import Application, ApplicationCall, BoundApplication, Brick, application, check_features, lazy
from .bn import BatchNormalization, BatchNormalizedMLP, SpatialBatchNormalization
from .cost import BinaryCrossEntropy, CategoricalCrossEntropy, Cost, MisclassificationRate, SquaredError
from .interfaces import Feedforward, Initializable, Random
from .lookup import LookupTable
from .noise import Dropout
from .normalization import LayerNormalization
from .parallel import Distribute, Fork, Merge, Parallel
from .sequences import MLP, FeedforwardSequence, Sequence
from .simple import (Bias, Identity, LeakyRectifier, Linear, LinearMaxout, Logistic, Maxout,
                     NDimensionalSoftmax, Rectifier, Softmax, Softplus, Tanh)
from .wrappers import WithExtraDims

__all__ = [
    "Application", "ApplicationCall", "BatchNormalization", "BatchNormalizedMLP", "Bias",
    "BinaryCrossEntropy", "BoundApplication", "Brick", "CategoricalCrossEntropy", "Cost", "Distribute",
    "Dropout", "Feedforward", "FeedforwardSequence", "Fork", "Identity", "Initializable",
    "LayerNormalization", "LeakyRectifier", "Linear", "LinearMaxout", "Logistic", "LookupTable", "MLP",
    "Maxout", "Merge", "MisclassificationRate", "NDimensionalSoftmax", "Parallel", "Random", "Rectifier",
    "Sequence", "Softmax", "Softplus", "SpatialBatchNormalization", "SquaredError", "Tanh",
    "WithExtraDims", "application", "check_features", "lazy",
]
