"""Whole-graph tools: differentiation, compilation and evaluation."""

from .compile import Function, function
from .grad import grad
from .reference import evaluate

__all__ = ["Function", "evaluate", "function", "grad"]
