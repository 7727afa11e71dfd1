"""Checks of step-rule arguments: a value out of range is an error naming the rule,
the argument, the range and the value, when the rule is made (not NaNs later)."""

from __future__ import annotations

import math
from typing import Any

from ..errors import TrainingError


def _fail(rule: Any, name: str, expected: str, value: Any) -> TrainingError:
    return TrainingError(f"{type(rule).__name__}: {name} must be {expected}, got {value!r}")


def _number(rule: Any, name: str, value: Any, expected: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _fail(rule, name, expected, value) from None
    if math.isnan(number):
        raise _fail(rule, name, expected, value)
    return number


def non_negative(rule: Any, name: str, value: Any) -> None:
    """``value`` in ``[0, inf)``: learning rates, epsilons."""
    if not 0 <= _number(rule, name, value, "a number >= 0") < math.inf:
        raise _fail(rule, name, "a number >= 0", value)


def positive(rule: Any, name: str, value: Any) -> None:
    """``value`` in ``(0, inf]``: thresholds, scalings."""
    if not _number(rule, name, value, "a number > 0") > 0:
        raise _fail(rule, name, "a number > 0", value)


def fraction(rule: Any, name: str, value: Any, one_allowed: bool = False) -> None:
    """``value`` in ``[0, 1)`` (or ``[0, 1]`` with ``one_allowed``): decay rates, momenta."""
    expected = "in [0, 1]" if one_allowed else "in [0, 1)"
    number = _number(rule, name, value, expected)
    if not (0 <= number <= 1 if one_allowed else 0 <= number < 1):
        raise _fail(rule, name, expected, value)
