"""Whole-graph tools: differentiation, compilation, evaluation, inspection."""

from .compile import Function, function
from .computation_graph import ComputationGraph
from .filters import VariableFilter
from .grad import grad
from .reference import evaluate
from .transforms import apply_dropout, apply_noise, collect_parameters

__all__ = ["ComputationGraph", "Function", "VariableFilter", "apply_dropout", "apply_noise", "collect_parameters",
           "evaluate", "function", "grad"]
