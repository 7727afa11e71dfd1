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
from ..errors import TrainingError
from ..tensor.variable import SharedVariable, Variable, shared
from . import checks


def _scalar(value: float, name: str) -> SharedVariable:
    return shared(np.asarray(value, dtype=config.floatX), name=name)


class StepRule:
    """Base class. Override :meth:`compute_step`, or :meth:`compute_steps` for
    rules that look at all parameters at once."""

    def __init__(self) -> None:
        self._state: list[SharedVariable] = []

    def compute_step(self, parameter: SharedVariable, previous_step: Variable
                     ) -> tuple[Variable, list[tuple[SharedVariable, Variable]]]:
        """The step for one parameter from its ``previous_step`` (the gradient, or the step of
        the rule before); returns ``(step, updates)``, the updates of this rule's state variables."""
        raise NotImplementedError

    def compute_steps(self, previous_steps: Any) -> tuple[Any, list]:
        """Steps for all parameters: ``previous_steps`` maps parameter to step; returns ``(steps, updates)``."""
        steps, updates = OrderedDict(), []
        for parameter, previous in previous_steps.items():
            steps[parameter], more = self.compute_step(parameter, previous)
            updates.extend(more)
        return steps, updates

    def state_variables(self) -> list[SharedVariable]:
        """The shared variables holding this rule's state (for checkpoints)."""
        return list(self._state)

    def guard(self, updates: list) -> list:
        """The state updates of the rules before this one in a :class:`CompositeRule`, as this
        rule lets them through: all of them, unchanged, unless the rule vetoes a whole update
        (:class:`RemoveNotFinite` keeps them only when every step is finite)."""
        return updates

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
        checks.non_negative(self, "learning_rate", learning_rate)
        self.learning_rate = _scalar(learning_rate, "learning_rate")

    def compute_step(self, parameter: SharedVariable, previous_step: Variable) -> tuple[Variable, list]:
        return self.learning_rate * previous_step, []


class BasicMomentum(StepRule):
    """``v <- momentum * v + step``; the step taken is ``v``."""

    def __init__(self, momentum: float = 0.0):
        super().__init__()
        checks.fraction(self, "momentum", momentum)
        self.momentum = _scalar(momentum, "momentum")

    def compute_step(self, parameter: SharedVariable, previous_step: Variable) -> tuple[Variable, list]:
        velocity = self._slot(parameter, "velocity")
        step = self.momentum * velocity + previous_step
        return step, [(velocity, step)]


class CompositeRule(StepRule):
    """Apply ``components`` one after another, each to the steps of the last.

    Each rule's :meth:`StepRule.guard` sees the state updates of the rules
    before it (so :class:`RemoveNotFinite` can hold them back).
    """

    def __init__(self, components: list[StepRule]):
        super().__init__()
        for i, rule in enumerate(components):
            if not isinstance(rule, StepRule):
                raise TrainingError(f"{type(self).__name__}: rule {i} is {rule!r}, expected a StepRule")
        self.components = list(components)

    @property
    def rules(self) -> list[StepRule]:
        """The same as ``components``."""
        return self.components

    def compute_steps(self, previous_steps: Any) -> tuple[Any, list]:
        updates = []
        for rule in self.components:
            previous_steps, more = rule.compute_steps(previous_steps)
            updates = rule.guard(updates)
            updates.extend(more)
        return previous_steps, updates

    def state_variables(self) -> list[SharedVariable]:
        return [v for rule in self.components for v in rule.state_variables()]


class Momentum(CompositeRule):
    """``Scale(learning_rate)`` then ``BasicMomentum(momentum)``: ``v = m*v + lr*g``."""

    def __init__(self, learning_rate: float = 1.0, momentum: float = 0.0):
        checks.non_negative(self, "learning_rate", learning_rate)
        checks.fraction(self, "momentum", momentum)
        self.scale, self.basic = Scale(learning_rate), BasicMomentum(momentum)
        super().__init__([self.scale, self.basic])
        self.learning_rate, self.momentum = self.scale.learning_rate, self.basic.momentum


class AdaGrad(StepRule):
    """``s <- s + g**2``; ``step = lr * g / (sqrt(s) + epsilon)``."""

    def __init__(self, learning_rate: float = 0.002, epsilon: float = 1e-6):
        super().__init__()
        checks.non_negative(self, "learning_rate", learning_rate)
        checks.non_negative(self, "epsilon", epsilon)
        self.learning_rate, self.epsilon = _scalar(learning_rate, "learning_rate"), epsilon

    def compute_step(self, parameter: SharedVariable, previous_step: Variable) -> tuple[Variable, list]:
        total = self._slot(parameter, "sum_of_squares")
        new_total = total + previous_step ** 2
        step = self.learning_rate * previous_step / (tensor.sqrt(new_total) + self.epsilon)
        return step, [(total, new_total)]


class AdaDelta(StepRule):
    """Zeiler's AdaDelta: steps scaled by running RMS of past steps over past gradients."""

    def __init__(self, decay_rate: float = 0.95, epsilon: float = 1e-6):
        super().__init__()
        _check_decay(type(self).__name__, decay_rate)
        checks.non_negative(self, "epsilon", epsilon)
        self.decay_rate, self.epsilon = decay_rate, epsilon

    def compute_step(self, parameter: SharedVariable, previous_step: Variable) -> tuple[Variable, list]:
        grads, steps = self._slot(parameter, "mean_square_grad"), self._slot(parameter, "mean_square_step")
        rho, eps = self.decay_rate, self.epsilon
        new_grads = rho * grads + (1 - rho) * previous_step ** 2
        step = tensor.sqrt(steps + eps) / tensor.sqrt(new_grads + eps) * previous_step
        new_steps = rho * steps + (1 - rho) * step ** 2
        return step, [(grads, new_grads), (steps, new_steps)]


class BasicRMSProp(StepRule):
    """``ms <- decay * ms + (1 - decay) * step**2``; ``step / max(sqrt(ms), 1 / max_scaling)``.

    Parameters
    ----------
    decay_rate : float in [0, 1], optional
        Default 0.9; a shared variable.
    max_scaling : float > 0, optional
        The largest factor a step is scaled by (default 1e5).
    """

    def __init__(self, decay_rate: float = 0.9, max_scaling: float = 1e5):
        super().__init__()
        _check_decay(type(self).__name__, decay_rate)
        if not max_scaling > 0:
            raise TrainingError(f"{type(self).__name__}: max_scaling must be greater than 0, "
                                f"got {max_scaling!r}")
        self.decay_rate = _scalar(decay_rate, "decay_rate")
        self.max_scaling = max_scaling
        self.epsilon = 1.0 / max_scaling

    def compute_step(self, parameter: SharedVariable, previous_step: Variable) -> tuple[Variable, list]:
        mean_square = self._slot(parameter, "mean_square")
        new = self.decay_rate * mean_square + (1 - self.decay_rate) * previous_step ** 2
        rms = tensor.maximum(tensor.sqrt(new), self.epsilon)
        return previous_step / rms, [(mean_square, new)]


class RMSProp(CompositeRule):
    """:class:`BasicRMSProp` then :class:`Scale`: ``lr * g / max(sqrt(ms), 1 / max_scaling)``.

    The default learning rate is 0.001 (Blocks': 1.0, which diverges on most problems).
    """

    def __init__(self, learning_rate: float = 0.001, decay_rate: float = 0.9, max_scaling: float = 1e5):
        checks.non_negative(self, "learning_rate", learning_rate)
        _check_decay(type(self).__name__, decay_rate)
        basic, scale = BasicRMSProp(decay_rate, max_scaling), Scale(learning_rate)
        super().__init__([basic, scale])
        self.learning_rate, self.decay_rate = scale.learning_rate, basic.decay_rate
        self.max_scaling = max_scaling


class Adam(StepRule):
    """Adam (Kingma and Ba), with bias correction of both moments."""

    def __init__(self, learning_rate: float = 0.002, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, decay_factor: float = 1.0):
        super().__init__()
        checks.non_negative(self, "learning_rate", learning_rate)
        checks.fraction(self, "beta1", beta1)
        checks.fraction(self, "beta2", beta2)
        checks.non_negative(self, "epsilon", epsilon)
        checks.fraction(self, "decay_factor", decay_factor, one_allowed=True)
        self.learning_rate = _scalar(learning_rate, "learning_rate")
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.decay_factor = decay_factor
        self.time = _scalar(0.0, "adam_time")
        self._state.append(self.time)

    def compute_steps(self, previous_steps: Any) -> tuple[Any, list]:
        t = self.time + 1
        beta1 = self.beta1 * self.decay_factor ** (t - 1) if self.decay_factor != 1 else self.beta1
        correction = tensor.sqrt(1 - self.beta2 ** t) / (1 - beta1 ** t)
        steps, updates = OrderedDict(), [(self.time, t)]
        for parameter, g in previous_steps.items():
            m, v = self._slot(parameter, "mean"), self._slot(parameter, "variance")
            new_m = beta1 * m + (1 - beta1) * g
            new_v = self.beta2 * v + (1 - self.beta2) * g ** 2
            steps[parameter] = self.learning_rate * correction * new_m / (tensor.sqrt(new_v) + self.epsilon)
            updates.extend([(m, new_m), (v, new_v)])
        return steps, updates


def global_norm(steps: Any) -> Variable:
    """``sqrt(sum of squares)`` over every step."""
    return tensor.sqrt(sum((s ** 2).sum() for s in steps.values()))


class StepClipping(StepRule):
    """Rescale all steps together when their global L2 norm exceeds ``threshold``.

    Without a threshold (``StepClipping()``, as Blocks allows) the steps pass unchanged.
    """

    def __init__(self, threshold: float | None = None):
        super().__init__()
        if threshold is not None:
            checks.positive(self, "threshold", threshold)
        self.threshold = _scalar(threshold, "threshold") if threshold is not None else None

    def compute_steps(self, previous_steps: Any) -> tuple[Any, list]:
        if self.threshold is None:
            return OrderedDict(previous_steps), []
        norm = global_norm(previous_steps)
        scale = tensor.minimum(1.0, self.threshold / tensor.maximum(norm, 1e-12))
        return OrderedDict((p, s * scale) for p, s in previous_steps.items()), []


class VariableClipping(StepRule):
    """Keep each parameter's L2 norm (over ``axis``) at most ``threshold`` after the update.

    ``axis``: an int or several, each once (default: the whole tensor); an
    axis the parameter does not have is an error.
    """

    def __init__(self, threshold: float, axis: int | tuple | None = None):
        super().__init__()
        checks.positive(self, "threshold", threshold)
        axes = () if axis is None else (tuple(axis) if isinstance(axis, (list, tuple, set)) else (axis,))
        if len(set(axes)) != len(axes):
            raise TrainingError(f"VariableClipping: each axis may be given once, got {axis!r}")
        self.threshold, self.axis = threshold, tuple(sorted(axes)) or None

    def compute_step(self, parameter: SharedVariable, previous_step: Variable) -> tuple[Variable, list]:
        if self.axis is not None and max(self.axis) >= parameter.ndim:
            raise TrainingError(f"VariableClipping: axis {self.axis} is out of range for "
                                f"{parameter.name!r} with ndim={parameter.ndim}")
        updated = parameter - previous_step
        norm = tensor.sqrt((updated ** 2).sum(axis=self.axis, keepdims=True))
        clipped = updated * tensor.minimum(1.0, self.threshold / tensor.maximum(norm, 1e-12))
        return parameter - clipped, []


class RemoveNotFinite(StepRule):
    """Replace a step that has a NaN or infinity by ``(1 - scaler) * parameter``.

    So a parameter whose step is not finite becomes ``scaler * parameter``
    (default ``scaler=1``: unchanged), as in Blocks; each parameter is
    checked on its own. Apply it last. Inside a :class:`CompositeRule` it
    also skips the state updates of the rules before it when any step is
    not finite, so a NaN gradient cannot poison a velocity or a running
    average (Blocks let it).
    """

    def __init__(self, scaler: float = 1.0):
        super().__init__()
        self.scaler = scaler
        self._all_finite = None

    def compute_step(self, parameter: SharedVariable, previous_step: Variable) -> tuple[Variable, list]:
        finite = tensor.isfinite(previous_step.sum())
        return tensor.where(finite, previous_step, (1 - self.scaler) * parameter), []

    def compute_steps(self, previous_steps: Any) -> tuple[Any, list]:
        self._all_finite = tensor.isfinite(global_norm(previous_steps)) if previous_steps else None
        return super().compute_steps(previous_steps)

    def guard(self, updates: list) -> list:
        """``updates``, each kept only when every step this rule saw is finite."""
        if self._all_finite is None:
            return list(updates)
        return [(var, tensor.where(self._all_finite, new, var)) for var, new in updates]


class Restrict(StepRule):
    """Apply ``step_rule`` to ``variables`` only; the other steps pass unchanged."""

    def __init__(self, step_rule: StepRule, variables: list[SharedVariable]):
        super().__init__()
        self.step_rule, self.variables = step_rule, list(variables)

    def compute_steps(self, previous_steps: Any) -> tuple[Any, list]:
        chosen = OrderedDict((p, s) for p, s in previous_steps.items()
                             if any(p is q for q in self.variables))
        steps, updates = self.step_rule.compute_steps(chosen)
        return OrderedDict((p, steps.get(p, s)) for p, s in previous_steps.items()), updates

    def state_variables(self) -> list[SharedVariable]:
        return self.step_rule.state_variables()


def _check_decay(rule: str, decay_rate: float) -> None:
    if not 0.0 <= decay_rate <= 1.0:
        raise TrainingError(f"{rule}: decay_rate must be in [0, 1], got {decay_rate!r}")
