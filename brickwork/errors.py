"""The one exception hierarchy of brickwork.

Every error the library raises on purpose derives from :class:`BrickworkError`.
They also derive from :class:`ValueError`, so code that guards a call with
``except ValueError`` keeps working.
"""


class BrickworkError(ValueError):
    """Base class of every error brickwork raises on purpose."""


class GraphError(BrickworkError):
    """A symbolic expression is malformed: shapes or dtypes that do not fit."""


class InputError(BrickworkError):
    """A compiled function was called with arguments that do not fit its inputs."""


class ExecutionError(BrickworkError):
    """An op failed while a compiled function or the reference evaluator ran it."""


class GradientError(BrickworkError):
    """A gradient was asked for that cannot be taken."""


class BrickError(BrickworkError):
    """A brick was configured, allocated or applied wrongly."""


class TrainingError(BrickworkError):
    """Training was set up or fed wrongly (a batch, a checkpoint, an extension)."""
