"""The finder that `maturin develop --with-hook` registers, from a `.pth` line, at start-up.

Start-up cost is the point of this module: it imports nothing (`sys` and `os` are loaded
before `.pth` files run), and an import of any module it does not watch costs one dict lookup.
A watched import loads `maturin_import_hook._fast` (small, without the maturin crate) to stat
the recorded inputs; `maturin_import_hook._pipeline` is only loaded when a build is due or on a
reload.
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from typing import List, Optional, Sequence

    from maturin_import_hook._hooked_projects import Project

ENABLED_VARIABLE = "MATURIN_IMPORT_HOOK_ENABLED"

# top-level module name -> the build request (JSON) of the develop that installed the hook
_watched: "dict[str, str]" = {}


def enabled() -> bool:
    """`MATURIN_IMPORT_HOOK_ENABLED=0` turns every importer of this package off."""
    return os.environ.get(ENABLED_VARIABLE) != "0"


class HookFinder:
    """A meta path finder for exactly the watched top-level modules: before one is imported
    (or reloaded), its build is checked and, if a Rust input changed, rebuilt. It then leaves
    the import itself to the finders that follow (it returns None), except on a reload."""

    @staticmethod
    def find_spec(fullname: str, path: object = None, target: object = None) -> "Optional[ModuleSpec]":
        request = _watched.get(fullname)
        if request is None or not enabled():
            return None
        from maturin_import_hook import _fast

        if fullname not in sys.modules and _fast.is_fresh(request, sys.prefix):
            return None  # up to date: the following finders import it as installed
        from maturin_import_hook import _hooked

        spec, provides = _hooked.find_spec(fullname, request)
        if provides:
            # rebuilt, and its module was renamed: watch what the project provides now
            del _watched[fullname]
            for name in provides:
                _watched[name] = request
            names = ", ".join(f'"{name}"' for name in provides)
            raise ModuleNotFoundError(
                f'No module named "{fullname}": its project was rebuilt and now provides {names}',
                name=fullname,
            )
        return spec

    @staticmethod
    def invalidate_caches() -> None:
        pass

    @staticmethod
    def hooked_projects(imported_only: bool) -> "List[Project]":
        """The projects this finder builds (see `_hooked_projects`)."""
        if not enabled() or not _watched:
            return []
        from maturin_import_hook import _hooked, _hooked_projects

        by_request: dict[str, list[str]] = {}
        for name, request in _watched.items():
            if not imported_only or name in sys.modules:
                by_request.setdefault(request, []).append(name)
        return [
            _hooked_projects.Project(request, tuple(sorted(names)), 120, _hooked._show_warnings())
            for request, names in by_request.items()
        ]


def is_watched(name: str) -> bool:
    """Whether a `.pth` finder of this process builds the top-level module `name`."""
    return name in _watched


def watch(names: "Sequence[str]", request: str) -> None:
    """Watches the top-level modules `names` of the project that `request` (the JSON of the
    build request `maturin develop --with-hook` recorded) builds."""
    if not enabled():
        return
    for name in names:
        _watched[name] = request
    if HookFinder not in sys.meta_path:
        sys.meta_path.insert(0, HookFinder)
