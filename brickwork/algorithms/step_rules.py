"""Step rules: how a gradient becomes a parameter update.

A rule maps the gradient (or the step a previous rule produced) of each
parameter to a step, and may keep state per parameter (a velocity, running
averages). That state lives in shared variables, listed by
:meth:`StepRule.state_variables`, so checkpoints capture it and a resumed run
continues exactly. ``GradientDescent`` updates ``p <- p - step``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from .. import config, tensor
from ..tensor.variable import SharedVariable, Variable, shared

Steps = "OrderedDict[SharedVariable, Variable]"


def _scalar(value: float, name: str) -> SharedVariable:
    return shared(np.asarray(value, dtype=config.floatX), name=name)


class StepRule:
    """Base class. Override :meth:`compute_step`, or :meth:`compute_steps` for
    rules that look at all parameters at once."""

    def __init__(self) -> None:
        self._state: list[SharedVariable] = []

    def compute_step(self, parameter: SharedVariable, previous_step: Variable
                     ) -> tuple[Variable, list[tuple[SharedVariable, Variable]]]:
        raise NotImplementedError

    def compute_steps(self, previous_steps: Any) -> tuple[Any, list]:
        steps, updates = OrderedDict(), []
        for parameter, previous in previous_steps.items():
            steps[parameter], more = self.compute_step(parameter, previous)
            updates.extend(more)
        return steps, updates

    def state_variables(self) -> list[SharedVariable]:
        """The shared variables holding this rule's state (for checkpoints)."""
        return list(self._state)

    def _slot(self, parameter: SharedVariable, name: str, value: float = 0.0) -> SharedVariable:
        """A state variable shaped like ``parameter``, filled with ``value``."""
        current = parameter.get_value(borrow=True)
        slot = shared(np.full(current.shape, value, dtype=current.dtype),
                      name=f"{parameter.name}_{name}")
        self._state.append(slot)
        return slot


class Scale(StepRule):
    """``step = learning_rate * gradient``; the rate is a shared variable."""

    def __init__(self, learning_rate: float = 1.0):
        super().__init__()
        self.learning_rate = _scalar(learning_rate, "learning_rate")

    def compute_step(self, parameter, previous_step):
        return self.learning_rate * previous_step, []


class BasicMomentum(StepRule):
    """``v <- momentum * v + step``; the step taken is ``v``."""

    def __init__(self, momentum: float = 0.0):
        super().__init__()
        self.momentum = _scalar(momentum, "momentum")

    def compute_step(self, parameter, previous_step):
        velocity = self._slot(parameter, "velocity")
        step = self.momentum * velocity + previous_step
        return step, [(velocity, step)]


class CompositeRule(StepRule):
    """Apply ``rules`` one after another, each to the steps of the last."""

    def __init__(self, rules: list[StepRule]):
        super().__init__()
        self.rules = list(rules)

    def compute_steps(self, previous_steps):
        updates = []
        for rule in self.rules:
            previous_steps, more = rule.compute_steps(previous_steps)
            updates.extend(more)
        return previous_steps, updates

    def state_variables(self):
        return [v for rule in self.rules for v in rule.state_variables()]


class Momentum(CompositeRule):
    """``Scale(learning_rate)`` then ``BasicMomentum(momentum)``: ``v = m*v + lr*g``."""

    def __init__(self, learning_rate: float = 1.0, momentum: float = 0.0):
        self.scale, self.basic = Scale(learning_rate), BasicMomentum(momentum)
        super().__init__([self.scale, self.basic])
        self.learning_rate, self.momentum = self.scale.learning_rate, self.basic.momentum


class AdaGrad(StepRule):
    """``s <- s + g**2``; ``step = lr * g / (sqrt(s) + epsilon)``."""

    def __init__(self, learning_rate: float = 0.002, epsilon: float = 1e-6):
        super().__init__()
        self.learning_rate, self.epsilon = _scalar(learning_rate, "learning_rate"), epsilon

    def compute_step(self, parameter, previous_step):
        total = self._slot(parameter, "sum_of_squares")
        new_total = total + previous_step ** 2
        step = self.learning_rate * previous_step / (tensor.sqrt(new_total) + self.epsilon)
        return step, [(total, new_total)]


class AdaDelta(StepRule):
    """Zeiler's AdaDelta: steps scaled by running RMS of past steps over past gradients."""

    def __init__(self, decay_rate: float = 0.95, epsilon: float = 1e-6):
        super().__init__()
        self.decay_rate, self.epsilon = decay_rate, epsilon

    def compute_step(self, parameter, previous_step):
        grads, steps = self._slot(parameter, "mean_square_grad"), self._slot(parameter, "mean_square_step")
        rho, eps = self.decay_rate, self.epsilon
        new_grads = rho * grads + (1 - rho) * previous_step ** 2
        step = tensor.sqrt(steps + eps) / tensor.sqrt(new_grads + eps) * previous_step
        new_steps = rho * steps + (1 - rho) * step ** 2
        return step, [(grads, new_grads), (steps, new_steps)]


class RMSProp(StepRule):
    """``ms <- decay * ms + (1 - decay) * g**2``; ``step = lr * g / max(sqrt(ms), 1 / max_scaling)``."""

    def __init__(self, learning_rate: float = 0.001, decay_rate: float = 0.9, max_scaling: float = 1e5):
        super().__init__()
        self.learning_rate = _scalar(learning_rate, "learning_rate")
        self.decay_rate = _scalar(decay_rate, "decay_rate")
        self.max_scaling = max_scaling

    def compute_step(self, parameter, previous_step):
        mean_square = self._slot(parameter, "mean_square")
        new = self.decay_rate * mean_square + (1 - self.decay_rate) * previous_step ** 2
        rms = tensor.maximum(tensor.sqrt(new), 1.0 / self.max_scaling)
        return self.learning_rate * previous_step / rms, [(mean_square, new)]


class Adam(StepRule):
    """Adam (Kingma and Ba), with bias correction of both moments."""

    def __init__(self, learning_rate: float = 0.002, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8):
        super().__init__()
        self.learning_rate = _scalar(learning_rate, "learning_rate")
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.time = _scalar(0.0, "adam_time")
        self._state.append(self.time)

    def compute_steps(self, previous_steps):
        t = self.time + 1
        correction = tensor.sqrt(1 - self.beta2 ** t) / (1 - self.beta1 ** t)
        steps, updates = OrderedDict(), [(self.time, t)]
        for parameter, g in previous_steps.items():
            m, v = self._slot(parameter, "mean"), self._slot(parameter, "variance")
            new_m = self.beta1 * m + (1 - self.beta1) * g
            new_v = self.beta2 * v + (1 - self.beta2) * g ** 2
            steps[parameter] = self.learning_rate * correction * new_m / (tensor.sqrt(new_v) + self.epsilon)
            updates.extend([(m, new_m), (v, new_v)])
        return steps, updates


def global_norm(steps: Any) -> Variable:
    """``sqrt(sum of squares)`` over every step."""
    return tensor.sqrt(sum((s ** 2).sum() for s in steps.values()))


class StepClipping(StepRule):
    """Rescale all steps together when their global norm exceeds ``threshold``."""

    def __init__(self, threshold: float):
        super().__init__()
        self.threshold = _scalar(threshold, "threshold")

    def compute_steps(self, previous_steps):
        norm = global_norm(previous_steps)
        scale = tensor.minimum(1.0, self.threshold / tensor.maximum(norm, 1e-12))
        return OrderedDict((p, s * scale) for p, s in previous_steps.items()), []


class VariableClipping(StepRule):
    """Keep each parameter's L2 norm (over ``axis``) at most ``threshold`` after the update."""

    def __init__(self, threshold: float, axis: int | tuple | None = None):
        super().__init__()
        self.threshold, self.axis = threshold, axis

    def compute_step(self, parameter, previous_step):
        updated = parameter - previous_step
        norm = tensor.sqrt((updated ** 2).sum(axis=self.axis, keepdims=True))
        clipped = updated * tensor.minimum(1.0, self.threshold / tensor.maximum(norm, 1e-12))
        return parameter - clipped, []


class RemoveNotFinite(StepRule):
    """Skip the whole update when any step is NaN or infinite.

    ``GradientDescent`` then leaves every parameter and every state of the
    other step rules as it was.
    """

    def compute_steps(self, previous_steps):
        return previous_steps, []


class Restrict(StepRule):
    """Apply ``rule`` to ``parameters`` only; the other steps pass unchanged."""

    def __init__(self, rule: StepRule, parameters: list[SharedVariable]):
        super().__init__()
        self.rule, self.parameters = rule, list(parameters)

    def compute_steps(self, previous_steps):
        chosen = OrderedDict((p, s) for p, s in previous_steps.items()
                             if any(p is q for q in self.parameters))
        steps, updates = self.rule.compute_steps(chosen)
        return OrderedDict((p, steps.get(p, s)) for p, s in previous_steps.items()), updates

    def state_variables(self):
        return self.rule.state_variables()
