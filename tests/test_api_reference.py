"""The API reference covers the public API: every public name has a docstring and a place in docs/.

Public modules are listed below (a package's public names are its
``__all__``; a module without ``__all__`` exports the classes and functions
it defines whose names do not start with ``_``). Public methods and
properties of public classes need a docstring too (their own or one they
inherit). A name counts as documented when an ``automodule`` directive with
``:members:`` (all, or a list naming it) covers its own module or the public
module, or an ``autoclass``/``autofunction`` names it. Public functions and
methods have complete type hints. Each failure message lists exactly what is
missing.
"""

import importlib
import inspect
import pathlib
import re

import pytest

PUBLIC_MODULES = [
    "brickwork", "brickwork.tensor", "brickwork.graph", "brickwork.bricks", "brickwork.bricks.recurrent",
    "brickwork.algorithms", "brickwork.extensions", "brickwork.main_loop", "brickwork.data",
    "brickwork.models", "brickwork.serialization", "brickwork.initialization", "brickwork.roles",
    "brickwork.model", "brickwork.errors", "brickwork.config", "brickwork.testing", "brickwork.distributed",
    "brickwork.bricks.cost", "brickwork.bricks.noise", "brickwork.bricks.normalization",
    "brickwork.bricks.lookup", "brickwork.bricks.wrappers", "brickwork.bricks.attention",
    "brickwork.bricks.sequence_generators", "brickwork.search", "brickwork.select", "brickwork.scan",
]
DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


def _modules():
    found = []
    for name in PUBLIC_MODULES:
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as error:
            if error.name != name:  # the module exists but cannot be imported: that is a bug
                raise
    return found


def _public_names(module):
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [n for n, o in vars(module).items() if not n.startswith("_")
            and (inspect.isclass(o) or inspect.isfunction(o)) and o.__module__ == module.__name__]


def _public_objects():
    """(public module, name, object, home module) for every public name."""
    for module in _modules():
        for name in _public_names(module):
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                continue
            home = obj.__module__ if inspect.isclass(obj) or inspect.isfunction(obj) else module.__name__
            yield module.__name__, name, obj, home


def _documented():
    """Module -> set of member names (None: all members), and the names of autoclass/autofunction."""
    text = "\n".join(p.read_text() for p in DOCS.glob("*.rst"))
    modules = {}
    for match in re.finditer(r"\.\. automodule:: (\S+)\n((?:[ \t]+:[^\n]*\n)*)", text):
        members = re.search(r":members:(.*)", match.group(2))
        if members is not None:
            listed = {m.strip() for m in members.group(1).split(",") if m.strip()}
            old = modules.get(match.group(1), set())
            modules[match.group(1)] = None if not listed or old is None else old | listed
    single = set(re.findall(r"\.\. auto(?:class|function|data|exception):: (\S+)", text))
    return modules, single


def _covered(modules, single, module, name):
    return f"{module}.{name}" in single or (module in modules and (modules[module] is None or name in modules[module]))


def _methods(cls):
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        function = getattr(member, "__func__", member)
        if isinstance(member, property) or (inspect.isfunction(function) and function.__name__ != "<lambda>"):
            yield name, member


def _inherited_doc(cls, name, member):
    if isinstance(member, property):
        return member.__doc__ or any(getattr(getattr(base, name, None), "__doc__", None)
                                     for base in cls.__mro__[1:] if name in vars(base))
    return inspect.getdoc(getattr(cls, name))


def test_every_public_name_has_a_docstring():
    missing = sorted({f"{home}.{name}" for _, name, obj, home in _public_objects()
                      if (inspect.isclass(obj) or callable(obj)) and not (inspect.getdoc(obj) or "").strip()})
    assert not missing, "public names without a docstring:\n  " + "\n  ".join(missing)


def test_every_public_method_has_a_docstring():
    missing = sorted({f"{home}.{name}.{method}" for _, name, obj, home in _public_objects() if inspect.isclass(obj)
                      for method, member in _methods(obj) if not _inherited_doc(obj, method, member)})
    assert not missing, "public methods and properties without a docstring:\n  " + "\n  ".join(missing)


def test_every_public_name_is_in_the_reference():
    modules, single = _documented()
    missing = sorted({f"{home}.{name} (public in {public})" for public, name, _, home in _public_objects()
                      if not (_covered(modules, single, home, name) or _covered(modules, single, public, name))})
    assert not missing, ("public names missing from the API reference in docs/ (add them to an "
                         "automodule's :members: in docs/api.rst):\n  " + "\n  ".join(missing))


def _unannotated(function) -> bool:
    signature = inspect.signature(function)
    parameters = [p for p in signature.parameters.values() if p.name not in ("self", "cls")]
    return signature.return_annotation is inspect.Signature.empty or any(
        p.annotation is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in parameters)


def test_public_methods_have_type_hints():
    missing = set()
    for _, _, obj, _ in _public_objects():
        if inspect.isclass(obj):
            for _, member in _methods(obj):
                function = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
                if inspect.isfunction(function) and _unannotated(function):
                    missing.add(f"{function.__module__}.{function.__qualname__}")
    assert not missing, "public methods without complete type hints:\n  " + "\n  ".join(sorted(missing))


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_public_functions_have_type_hints(module):
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError:
        pytest.skip(f"{module} is not in this tree")
    missing = []
    for name in _public_names(loaded):
        obj = getattr(loaded, name)
        if inspect.isfunction(obj) and obj.__module__.startswith("brickwork"):
            signature = inspect.signature(obj)
            unannotated = [p for p in signature.parameters.values() if p.annotation is inspect.Parameter.empty
                           and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
            if unannotated or signature.return_annotation is inspect.Signature.empty:
                missing.append(f"{obj.__module__}.{name}")
    assert not missing, "public functions without complete type hints:\n  " + "\n  ".join(sorted(set(missing)))
