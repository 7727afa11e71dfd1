"""Bricks: parametrized transformations that build graphs (``brickwork.bricks``)."""

from .base import Application, ApplicationCall, BoundApplication, Brick, application, check_features, lazy
from .cost import BinaryCrossEntropy, CategoricalCrossEntropy, Cost, MisclassificationRate, SquaredError
from .interfaces import Feedforward, Initializable, Random
from .lookup import LookupTable
from .noise import Dropout
from .normalization import LayerNormalization
from .parallel import Fork
from .sequences import MLP, Sequence
from .simple import Bias, Identity, Linear, Logistic, Rectifier, Softmax, Softplus, Tanh

__all__ = [
    "Application", "ApplicationCall", "Bias", "BoundApplication", "BinaryCrossEntropy", "Brick",
    "CategoricalCrossEntropy", "Cost", "Dropout", "Feedforward", "Fork", "Identity",
    "Initializable", "LayerNormalization", "Linear", "Logistic", "LookupTable", "MLP",
    "MisclassificationRate", "Random", "Rectifier", "Sequence", "Softmax", "Softplus",
    "SquaredError", "Tanh", "application", "check_features", "lazy",
]
