"""Checking layer specs before anything is built: a spec that is not understood is an
error naming its position, the spec and what was expected there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import BrickError
from .specs import BIDIRECTIONAL_KINDS, RECURRENT_KINDS, RECURRENT_OPTIONS


def _is_count(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) and value > 0


def _is_probability(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and 0 <= value < 1


#: What each kind of tuple spec takes after its kind: (description, check).
SPEC_KINDS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    **{kind: ("a positive int of units", _is_count) for kind in RECURRENT_KINDS + BIDIRECTIONAL_KINDS},
    "dropout": ("a probability in [0, 1)", _is_probability)}
#: The layer specs understood after the first, for messages.
LAYER_FORMS = ("a positive int (a dense layer), " + ", ".join(f"('{k}', units)" for k in SPEC_KINDS
                                                             if k != "dropout")
               + " (recurrent ones may end with {'recurrent_dropout': p}) or ('dropout', p)")


def check_layers(layers: Any) -> list:
    """The layer specs as a list, each checked; a BrickError names the first bad one.

    Parameters
    ----------
    layers : sequence of specs
        The input width (an int, or ``('embed', vocabulary, dim)``), then at
        least one layer.

    Returns
    -------
    list
        The specs, NumPy integers made ints.

    Raises
    ------
    BrickError
        Naming the position, the spec and what was expected there.
    """
    specs = list(layers)
    if len(specs) < 2:
        raise BrickError(f"layers {specs!r}: expected the input width and at least one layer, "
                         "such as [3, ('lstm', 10), 1]")
    _check_input_spec(specs[0])
    for i, spec in enumerate(specs[1:], start=1):
        _check_layer_spec(i, spec)
    return [int(spec) if isinstance(spec, np.integer) else spec for spec in specs]


def _check_input_spec(spec: Any) -> None:
    expected = "the input width: a positive int, or ('embed', vocabulary, dim) with positive ints"
    if isinstance(spec, tuple) and len(spec) == 3 and spec[0] == "embed":
        if not (_is_count(spec[1]) and _is_count(spec[2])):
            raise BrickError(f"layer 0: {spec!r} has a vocabulary or dim that is not a positive int; "
                             f"expected {expected}")
    elif not _is_count(spec):
        first_is_layer = isinstance(spec, tuple) and bool(spec) and spec[0] in SPEC_KINDS
        hint = " (a layer cannot come first)" if first_is_layer else ""
        raise BrickError(f"layer 0: unknown spec {spec!r}{hint}; expected {expected}")


def _check_layer_spec(i: int, spec: Any) -> None:
    if _is_count(spec):
        return
    if isinstance(spec, tuple) and len(spec) in (2, 3) and spec[0] in SPEC_KINDS:
        description, check = SPEC_KINDS[spec[0]]
        if not check(spec[1]):
            raise BrickError(f"layer {i}: {spec!r} needs {description} after {spec[0]!r}, got {spec[1]!r}")
        if len(spec) == 3:
            _check_options(i, spec)
        return
    raise BrickError(f"layer {i}: unknown spec {spec!r}{_hint(spec)}; expected {LAYER_FORMS}")


def _check_options(i: int, spec: tuple) -> None:
    options = spec[2]
    if spec[0] == "dropout" or not isinstance(options, dict):
        raise BrickError(f"layer {i}: {spec!r} has a third entry {options!r}; only recurrent layers take "
                         f"one, a dict of options {list(RECURRENT_OPTIONS)}")
    for name, value in options.items():
        if name not in RECURRENT_OPTIONS:
            raise BrickError(f"layer {i}: {spec!r} has an unknown option {name!r}; "
                             f"expected one of {list(RECURRENT_OPTIONS)}")
        if not _is_probability(value):
            raise BrickError(f"layer {i}: {spec!r} has {name} {value!r}; expected a probability in [0, 1)")


def _hint(spec: Any) -> str:
    if isinstance(spec, str) and spec in SPEC_KINDS:
        return f" (say ('{spec}', units))" if spec != "dropout" else " (say ('dropout', p))"
    if isinstance(spec, tuple) and spec[:1] == ("embed",):
        return " (only the first spec can be an embedding)"
    if isinstance(spec, list):
        return " (a tuple, not a list)"
    if isinstance(spec, (int, np.integer, float)):
        return " (a dense layer needs a positive int of units)"
    return ""
