"""Runnable examples: ``python -m brickwork.examples NAME`` (``--help`` lists them).

Each example is a module here with a ``main(argv)`` function and a one-line
docstring; the registry below maps names to modules.
"""

import argparse


class HELP_FORMAT(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` of an example: its docstring as written, and every option with its default."""


EXAMPLES = {
    "digits": "brickwork.examples.digits",
    "feedback": "brickwork.examples.feedback",
    "memory": "brickwork.examples.memory",
    "regression": "brickwork.examples.regression",
    "reverse_words": "brickwork.examples.reverse_words",
    "sentiment": "brickwork.examples.sentiment",
    "shakespeare": "brickwork.examples.shakespeare",
    "sunspots": "brickwork.examples.sunspots",
    "verse": "brickwork.examples.verse",
}
