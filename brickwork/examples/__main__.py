"""Command line entry: ``python -m brickwork.examples NAME [options]``."""

from __future__ import annotations

import importlib
import sys

from . import EXAMPLES


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m brickwork.examples NAME [options]\n"
              "`python -m brickwork.examples NAME --help` lists the options of one example.\n\nexamples:")
        for name, module in EXAMPLES.items():
            doc = (importlib.import_module(module).__doc__ or "").strip().split("\n\n")[0]
            print(f"\n  {name}\n" + "\n".join("    " + line.strip() for line in doc.splitlines()))
        return 0
    name, rest = argv[0], argv[1:]
    if name not in EXAMPLES:
        print(f"unknown example {name!r}; choose one of: {', '.join(EXAMPLES)}", file=sys.stderr)
        return 2
    return importlib.import_module(EXAMPLES[name]).main(rest) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
