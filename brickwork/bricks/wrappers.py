"""Brick wrappers: ``WithExtraDims``, which lets applications take inputs with extra leading axes.

A wrapper rewrites the applications of a brick class when a subclass lists
it in ``decorators``, as in Blocks::

    class NDimensionalSoftmax(Softmax):
        decorators = [WithExtraDims()]

The subclass must have exactly one base class; each application of that
base gets a wrapped version (the original stays reachable through the
delegate, so ``inputs``/``outputs`` are the base's).
"""

from __future__ import annotations

from typing import Any

from .. import tensor
from ..errors import BrickError
from .application import Application


class BrickWrapper:
    """Base class of wrappers; subclasses define :meth:`wrap`."""

    def __call__(self, cls: type) -> None:
        """Wrap every application of ``cls``'s one base class into ``cls``."""
        if len(cls.__bases__) != 1:
            raise BrickError(f"{type(self).__name__} wraps a class with one base; {cls.__name__} has "
                             f"{len(cls.__bases__)}")
        base = cls.__bases__[0]
        for attribute in list(vars(base).values()):
            if isinstance(attribute, Application):
                self.wrap(attribute, cls)

    def wrap(self, wrapped: Application, cls: type) -> None:
        """Put a wrapped version of ``wrapped`` on ``cls``."""
        raise NotImplementedError


class WithExtraDims(BrickWrapper):
    """Applications take ``extra_ndim=`` leading axes more than the brick expects.

    The extra axes are merged with the first ordinary one before the call and
    split again on every output; all inputs and outputs must share them (for
    example a time axis before the batch axis of ``Softmax.categorical_cross_entropy``).
    """

    def wrap(self, wrapped: Application, cls: type) -> None:
        def apply(brick: Any, application: Any, *args: Any, **kwargs: Any) -> Any:
            extra_ndim = kwargs.pop("extra_ndim", 0)
            inputs = dict(zip(application.inputs, args))
            inputs.update({k: v for k, v in kwargs.items() if k in application.inputs})
            original = wrapped.__get__(brick, cls)
            if extra_ndim == 0:
                return original(**inputs)
            first = tensor.as_variable(next(iter(inputs.values())))
            extra = tuple(first.shape[i] for i in range(extra_ndim))
            merged = {name: _merge_leading(tensor.as_variable(value), extra_ndim)
                      for name, value in inputs.items()}
            outputs = original(**merged, as_list=True)
            return [out.reshape(extra + (-1,) + tuple(out.shape[i] for i in range(1, out.ndim)))
                    for out in outputs]

        apply.__name__ = wrapped.name
        application = Application(apply)
        application.__doc__ = (f"{wrapped.name} of {wrapped.owner.__name__ if wrapped.owner else 'the base'}, "
                               f"taking extra_ndim= leading axes more.\n\n{wrapped.__doc__ or ''}")
        application.delegate(lambda brick: wrapped.__get__(brick, cls))
        application.owner = cls
        setattr(cls, wrapped.name, application)


def _merge_leading(value: Any, extra_ndim: int) -> Any:
    """``value`` with its first ``extra_ndim + 1`` axes merged into one."""
    rest = tuple(value.shape[i] for i in range(extra_ndim + 1, value.ndim))
    return value.reshape((-1,) + rest)
