"""`importlib.reload()` of a rebuilt module.

CPython cannot initialise an extension module twice from the same file: it keeps the first
module object for a (name, path) pair, and the dynamic loader hands back the library it
already mapped. So a reload loads the extension from another path: a package is found again
through a fresh symlink to its directory (its `__init__.py` runs again and imports its
extension submodules anew), and a top-level extension module is copied and loaded under a
private name, its attributes then moved into the existing module object.
"""

from __future__ import annotations

import atexit
import importlib.machinery
import os
import shutil
import sys
import tempfile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec

_session_dir: str | None = None


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


def _scratch_dir(prefix: str) -> str:
    global _session_dir
    if _session_dir is None:
        _session_dir = tempfile.mkdtemp(prefix="maturin_import_hook_reload_")
        atexit.register(shutil.rmtree, _session_dir, True)
    return tempfile.mkdtemp(prefix=prefix, dir=_session_dir)


def _package_reload_spec(name: str, package_dir: str) -> ModuleSpec | None:
    link_dir = _scratch_dir(name)
    os.symlink(package_dir, os.path.join(link_dir, name))
    spec = importlib.machinery.PathFinder.find_spec(name, [link_dir])
    for module_name in sorted(sys.modules):
        if module_name.startswith(name + "."):
            module = sys.modules[module_name]
            if isinstance(getattr(module, "__loader__", None), importlib.machinery.ExtensionFileLoader):
                del sys.modules[module_name]
                # `from . import _ext` in the package's `__init__` finds the attribute of the
                # first import and imports nothing: the attribute must go too
                parent_name, _, child = module_name.rpartition(".")
                parent = sys.modules.get(parent_name)
                if parent is not None and getattr(parent, child, None) is module:
                    delattr(parent, child)
    return spec


class _ExtensionReloader(importlib.machinery.ExtensionFileLoader):
    """Loads a copy of the extension under a private name and moves its attributes into the
    module being reloaded (whose `__file__` keeps naming the installed file)."""

    def __init__(self, name: str, origin: str, copy: str) -> None:
        super().__init__(name, origin)
        self.copy = copy

    def create_module(self, spec: ModuleSpec) -> None:  # type: ignore[override]
        return None

    def exec_module(self, module: object) -> None:
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


def _extension_reload_spec(name: str, origin: str) -> ModuleSpec:
    copy = os.path.join(_scratch_dir(name), os.path.basename(origin))
    shutil.copy2(origin, copy)
    return importlib.machinery.ModuleSpec(name, _ExtensionReloader(name, origin, copy), origin=origin)
