"""Whole-graph tools: differentiation, compilation, evaluation, inspection."""

from .compile import Function, function
from .bn import apply_batch_normalization, batch_normalization, get_batch_normalization_updates
from .computation_graph import ComputationGraph
from .diagram import BrickDiagram, brick_diagram
from .filters import VariableFilter
from .grad import grad
from .reference import evaluate
from .transforms import apply_dropout, apply_noise, collect_parameters

__all__ = ["BrickDiagram", "ComputationGraph", "Function", "VariableFilter", "apply_batch_normalization",
           "apply_dropout", "apply_noise", "batch_normalization", "brick_diagram", "collect_parameters", "evaluate",
           "function", "get_batch_normalization_updates", "grad"]
