"""Training algorithms: gradient descent and its step rules."""

from .base import TrainingAlgorithm, UpdatesAlgorithm
from .gradient_descent import GradientDescent
from .step_rules import (AdaDelta, AdaGrad, Adam, BasicMomentum, BasicRMSProp, CompositeRule, Momentum,
                         RemoveNotFinite, Restrict, RMSProp, Scale, StepClipping, StepRule,
                         VariableClipping)

__all__ = ["AdaDelta", "AdaGrad", "Adam", "BasicMomentum", "BasicRMSProp", "CompositeRule",
           "GradientDescent", "Momentum", "RMSProp", "RemoveNotFinite", "Restrict", "Scale",
           "StepClipping", "StepRule", "TrainingAlgorithm", "UpdatesAlgorithm", "VariableClipping"]
