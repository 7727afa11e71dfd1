"""Command line entry: ``python -m brickwork.examples NAME [options]``."""

from __future__ import annotations

import importlib
import sys

from . import EXAMPLES


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m brickwork.examples NAME [--help | options]\n\nexamples:")
        for name, module in EXAMPLES.items():
            doc = (importlib.import_module(module).__doc__ or "").strip().splitlines()[0]
            print(f"  {name:12s} {doc}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in EXAMPLES:
        print(f"unknown example {name!r}; choose one of: {', '.join(EXAMPLES)}", file=sys.stderr)
        return 2
    return importlib.import_module(EXAMPLES[name]).main(rest) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
