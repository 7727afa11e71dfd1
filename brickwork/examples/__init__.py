"""Runnable examples: ``python -m brickwork.examples NAME`` (``--help`` lists them).

Each example is a module here with a ``main(argv)`` function and a one-line
docstring; the registry below maps names to modules.
"""

EXAMPLES = {
    "feedback": "brickwork.examples.feedback",
    "memory": "brickwork.examples.memory",
    "regression": "brickwork.examples.regression",
}
