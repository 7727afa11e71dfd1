"""Sphinx configuration: the tutorials and an API reference from the docstrings."""

project = "brickwork"
author = "the brickwork developers"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.doctest"]
napoleon_numpy_docstring = True
napoleon_use_ivar = True  # attributes as fields: autodoc already documents dataclass and tuple fields
autodoc_member_order = "bysource"
autodoc_typehints = "none"
exclude_patterns = ["_build"]
html_theme = "alabaster"
suppress_warnings = ["ref.python"]
# Formulas are written in Unicode text (hₜ = hₜ₋₁ + xₜ), never as :math: roles, so the
# pages need no MathJax from a CDN: they read the same offline (tests/test_docs.py checks it).
