"""`importlib.reload()` of a rebuilt module.

CPython cannot initialise an extension module twice from the same file: it keeps the first
module object for a (name, path) pair, and the dynamic loader hands back the library it
already mapped. So a reload loads the extension from another path: a package is found again
through a fresh symlink to its directory (its `__init__.py` runs again and imports its
extension submodules anew), and a top-level extension module is copied and loaded under a
private name, its attributes then moved into the existing module object.

The package's other modules bound names from the extension (`from ._ext import f`, also through
another submodule): those that hold an object of the previous build, the packages that contain an
extension, and the modules that hold a class of one of them run again too, each in its own
module object, in the order the package's imports ask for them (a finder hands them out while the
package's `__init__.py` runs), then the ones it did not ask for. Modules outside the package keep
what they bound: the names that still hold the previous build are said.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import re
import shutil
import sys
import tempfile
from types import ModuleType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from typing import Iterable, Iterator, Sequence

_session_dir: str | None = None
_collected: list[str] | None = None
"""While `collect_left_behind()` runs: where the names left behind go, instead of the log."""


def reload_spec(name: str) -> ModuleSpec | None:
    module = sys.modules[name]
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None)
    if spec is None or origin is None:
        return None
    if isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
        return _extension_reload_spec(name, origin)
    if os.path.basename(origin) == "__init__.py":
        return _package_reload_spec(name, os.path.dirname(origin))
    return None


@contextlib.contextmanager
def collect_left_behind() -> Iterator[list[str]]:
    """The names outside a reloaded package that still hold its previous build (`module.name`),
    for the reloads in the block, which then log nothing about them."""
    global _collected
    collected: list[str] = []
    _collected = collected
    try:
        yield collected
    finally:
        _collected = None


def _scratch_dir(prefix: str) -> str:
    global _session_dir
    if _session_dir is None:
        _session_dir = tempfile.mkdtemp(prefix="maturin_import_hook_reload_")
        atexit.register(shutil.rmtree, _session_dir, True)
    return tempfile.mkdtemp(prefix=prefix, dir=_session_dir)


def _package_reload_spec(name: str, package_dir: str) -> ModuleSpec | None:
    link_dir = _scratch_dir(name)
    # to the real directory, not through the previous reload's link: one level, however many reloads
    os.symlink(os.path.realpath(package_dir), os.path.join(link_dir, name))
    spec = importlib.machinery.PathFinder.find_spec(name, [link_dir])
    if spec is not None and spec.loader is not None:
        spec.loader = _PackageReloader(spec.loader)
    return spec


def _is_extension(module: object) -> bool:
    return isinstance(_namespace(module).get("__loader__"), importlib.machinery.ExtensionFileLoader)


_VALUES = (int, float, complex, str, bytes, bool, type(None), tuple, frozenset)
"""Values whose identity says nothing about where they came from (small ints, interned strings)."""


def _built_objects(extensions: Iterable[ModuleType]) -> dict[int, object]:
    """id -> object: the extension modules and what they define (the objects keep their ids)."""
    found: dict[int, object] = {}
    for extension in extensions:
        found[id(extension)] = extension
        for key, value in vars(extension).items():
            if not key.startswith("__") and not issubclass(type(value), _VALUES):
                found[id(value)] = value
    return found


def _namespace(module: object) -> dict[str, object]:
    """The module's `__dict__`, without running the `__getattribute__` of a module subclass (a
    lazily imported module would be loaded by it)."""
    try:
        namespace = object.__getattribute__(module, "__dict__")
    except AttributeError:
        return {}
    return namespace if isinstance(namespace, dict) else {}


def _holds(module: ModuleType, objects: dict[int, object]) -> bool:
    return any(id(value) in objects for value in list(_namespace(module).values()))


def _modules_to_run_again(package: str, modules: dict[str, ModuleType], built: dict[int, object]) -> set[str]:
    """The Python modules of the package (`modules`, by name) that hold an object of the previous
    build, or a class of such a module (a class is a new object once its module runs again), or
    that contain an extension (whose `__path__` must lead to the new build); not the package,
    which `importlib.reload` runs."""
    containing = {n.rpartition(".")[0] for n, m in modules.items() if _is_extension(m)}
    chosen = {package} | (containing & modules.keys())
    stale = dict(built)
    for name in chosen:
        stale.update(_classes_of(name, modules[name]))
    grown = True
    while grown:
        grown = False
        for name, module in modules.items():
            if name not in chosen and not _is_extension(module) and _holds(module, stale):
                chosen.add(name)
                stale.update(_classes_of(name, module))
                grown = True
    chosen.discard(package)
    return chosen


def _classes_of(name: str, module: ModuleType) -> dict[int, object]:
    # by the value's type, not isinstance, which asks a proxy object (flask's `current_app`)
    return {
        id(value): value
        for value in list(_namespace(module).values())
        if issubclass(type(value), type) and value.__module__ == name
    }


class _PackageReloader(importlib.abc.Loader):
    """Runs the package's `__init__.py` again (with `loader`), and with it the modules of the
    package that bound names from its extensions (see the module's docstring)."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        # the package keeps its own loader, for the next reload and for importlib.resources
        module.__loader__ = self.loader
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        name = module.__name__
        modules = _modules_of(name)
        extensions = {n: m for n, m in modules.items() if _is_extension(m)}
        built = _built_objects(extensions.values())
        again = {n: modules[n] for n in sorted(_modules_to_run_again(name, modules, built))}
        pending = {**extensions, **again}
        detached = []
        for pending_name, pending_module in pending.items():
            del sys.modules[pending_name]
            # `from . import sub` takes the attribute the first import set and imports nothing
            parent, _, child = pending_name.rpartition(".")
            if _namespace(modules.get(parent)).get(child) is pending_module:
                delattr(modules[parent], child)
                detached.append(pending_name)
        finder = _InPlaceFinder(again)
        sys.meta_path.insert(0, finder)
        try:
            self.loader.exec_module(module)
            for pending_name in pending:
                if pending_name not in sys.modules:
                    try:
                        importlib.import_module(pending_name)
                    except ModuleNotFoundError as error:
                        # an extension the build no longer makes: the one loaded before stays
                        if pending_name not in extensions or error.name != pending_name:
                            raise
        finally:
            sys.meta_path.remove(finder)
            for pending_name, pending_module in pending.items():
                sys.modules.setdefault(pending_name, pending_module)
            for pending_name in detached:
                parent, _, child = pending_name.rpartition(".")
                if child not in _namespace(modules[parent]):
                    setattr(modules[parent], child, sys.modules[pending_name])
        _say_left_behind(name, built, list(_modules_of(name).values()))


def _modules_of(package: str) -> dict[str, ModuleType]:
    """The modules of `package` that are imported, by name."""
    return {
        n: m
        for n, m in list(sys.modules.items())
        if (n == package or n.startswith(package + ".")) and isinstance(m, ModuleType)
    }


class _InPlaceFinder(importlib.abc.MetaPathFinder):
    """Hands out each of `modules` (name -> module object) once, to run again in place."""

    def __init__(self, modules: dict[str, ModuleType]) -> None:
        self.modules = dict(modules)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        module = self.modules.pop(fullname, None)
        if module is None:
            return None
        # a module keeps its file (tracebacks and breakpoints name the source); a package follows
        # its parent's fresh link, which leads to the new build of the extensions it contains
        origin = getattr(module.__spec__, "origin", None)
        if not hasattr(module, "__path__") and origin is not None and os.path.isfile(origin):
            spec = importlib.util.spec_from_file_location(fullname, origin)
        else:
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _InPlaceLoader(module, spec.loader)
        return spec


class _InPlaceLoader(importlib.abc.Loader):
    def __init__(self, module: ModuleType, loader: importlib.abc.Loader) -> None:
        self.module = module
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        return self.module

    def exec_module(self, module: ModuleType) -> None:
        spec = module.__spec__
        if spec is not None:
            spec.loader = self.loader
            if spec.has_location and spec.origin is not None:
                module.__file__ = spec.origin
                module.__cached__ = spec.cached  # type: ignore[attr-defined]
            if spec.submodule_search_locations is not None:
                module.__path__ = list(spec.submodule_search_locations)
        module.__loader__ = self.loader
        self.loader.exec_module(module)


_IPYTHON_OUTPUT = re.compile(r"_+\d*")
"""`_`, `__`, `_5`: IPython's output history in the notebook's namespace, not names anyone bound."""


def _say_left_behind(name: str, built: dict[int, object], now: Sequence[ModuleType]) -> None:
    """Says which names outside the reloaded modules `now` (of the package or module `name`)
    still hold an object of the previous build (`built`)."""
    ours = {id(module) for module in now}
    current = ours | {id(value) for module in now for value in list(_namespace(module).values())}
    old = {key for key in built if key not in current}
    if not old:
        return
    # each module once, by its first name: multiprocessing puts `__main__` in `sys.modules` as
    # `__mp_main__` too
    named: dict[int, str] = {}
    for module_name, module in list(sys.modules.items()):
        if id(module) not in ours and module_name.partition(".")[0] != "maturin_import_hook":
            named.setdefault(id(module), module_name)
    left = [
        f"{module_name}.{key}"
        for module_name, module in list(sys.modules.items())
        if named.get(id(module)) == module_name
        for key, value in list(_namespace(module).items())
        if id(value) in old and not _IPYTHON_OUTPUT.fullmatch(key)
    ]
    if not left:
        return
    if _collected is not None:
        _collected.extend(left)
    else:
        from maturin_import_hook._logging import logger

        logger.warning('reloaded "%s"; %s', name, left_behind_message(left))


def left_behind_message(names: Sequence[str]) -> str:
    return f"these names outside it still hold the previous build (import them again): {', '.join(names)}"


class _ExtensionReloader(importlib.machinery.ExtensionFileLoader):
    """Loads a copy of the extension under a private name and moves its attributes into the
    module being reloaded (whose `__file__` keeps naming the installed file)."""

    def __init__(self, name: str, origin: str, copy: str) -> None:
        super().__init__(name, origin)
        self.copy = copy

    def create_module(self, spec: ModuleSpec) -> None:  # type: ignore[override]
        return None

    def exec_module(self, module: ModuleType) -> None:
        built = _built_objects([module])
        private_name = f"maturin_import_hook._reload.{self.name}"
        loader = importlib.machinery.ExtensionFileLoader(private_name, self.copy)
        fresh_spec = importlib.machinery.ModuleSpec(private_name, loader, origin=self.copy)
        fresh = loader.create_module(fresh_spec)
        try:
            loader.exec_module(fresh)
            keep = {"__name__", "__file__", "__package__", "__loader__", "__spec__"}
            for key, value in vars(fresh).items():
                if key not in keep:
                    setattr(module, key, value)
        finally:
            sys.modules.pop(private_name, None)
        _say_left_behind(self.name, built, [module])


def _extension_reload_spec(name: str, origin: str) -> ModuleSpec:
    copy = os.path.join(_scratch_dir(name), os.path.basename(origin))
    shutil.copy2(origin, copy)
    return importlib.machinery.ModuleSpec(name, _ExtensionReloader(name, origin, copy), origin=origin)
