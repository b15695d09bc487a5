"""The finder that `maturin develop --with-hook` registers, from a `.pth` line, at start-up.

Start-up cost is the point of this module: it imports nothing (`sys` and `os` are loaded
before `.pth` files run), and an import of any module it does not watch costs one dict lookup.
A watched import reads the project's quick check (see `maturin_hook_core::quick_check`): the
last "up to date" as plain stats, compared here without any native module. Only when something
differs does it load `maturin_import_hook._fast` (small, without the maturin crate), whose
decision hashes what changed and writes the quick check again; `maturin_import_hook._pipeline`
is only loaded when a build is due or on a reload.
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from typing import List, Optional, Sequence

    from maturin_import_hook._hooked_projects import Project

ENABLED_VARIABLE = "MATURIN_IMPORT_HOOK_ENABLED"

# the first line of a quick check this runtime reads (`maturin_hook_core::quick_check::header`)
QUICK_CHECK_HEADER = "maturin-hook quick check 1, maturin-hook 0.1.0, record 6"

# top-level module name -> the build request (JSON) of the develop that installed the hook,
# and the path of its quick check (None for a `.pth` line of a version without one)
_watched: "dict[str, tuple[str, Optional[str]]]" = {}


def enabled() -> bool:
    """`MATURIN_IMPORT_HOOK_ENABLED=0` turns every importer of this package off."""
    return os.environ.get(ENABLED_VARIABLE) != "0"


class HookFinder:
    """A meta path finder for exactly the watched top-level modules: before one is imported
    (or reloaded), its build is checked and, if a Rust input changed, rebuilt. It then leaves
    the import itself to the finders that follow (it returns None), except on a reload."""

    @staticmethod
    def find_spec(fullname: str, path: object = None, target: object = None) -> "Optional[ModuleSpec]":
        watched = _watched.get(fullname)
        if watched is None or not enabled():
            return None
        request, quick_check = watched
        if fullname not in sys.modules and is_fresh(request, quick_check):
            return None  # up to date: the following finders import it as installed
        from maturin_import_hook import _hooked

        spec, provides = _hooked.find_spec(fullname, request)
        if provides:
            # rebuilt, and its module was renamed: watch what the project provides now
            del _watched[fullname]
            for name in provides:
                _watched[name] = watched
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

        by_request: dict[tuple[str, Optional[str]], list[str]] = {}
        for name, watched in _watched.items():
            if not imported_only or name in sys.modules:
                by_request.setdefault(watched, []).append(name)
        return [
            _hooked_projects.Project(
                request, tuple(sorted(names)), 120, _hooked._show_warnings(), quick_check
            )
            for (request, quick_check), names in by_request.items()
        ]


def is_watched(name: str) -> bool:
    """Whether a `.pth` finder of this process builds the top-level module `name`."""
    return name in _watched


def watch(names: "Sequence[str]", request: str, quick_check: "Optional[str]" = None) -> None:
    """Watches the top-level modules `names` of the project that `request` (the JSON of the
    build request `maturin develop --with-hook` recorded) builds, whose quick check is at
    `quick_check` relative to the environment's prefix."""
    if not enabled():
        return
    watched = (request, None if quick_check is None else os.path.join(sys.prefix, quick_check))
    for name in names:
        _watched[name] = watched
    if HookFinder not in sys.meta_path:
        sys.meta_path.insert(0, HookFinder)


def is_fresh(request: str, quick_check: "Optional[str]") -> bool:
    """Whether the last build of `request` in this environment is up to date: by the quick
    check when it holds, else by `_fast`'s decision (which writes the quick check again)."""
    if quick_check is not None and _quick_check_holds(quick_check, request):
        return True
    from maturin_import_hook import _fast

    return _fast.is_fresh(request, sys.prefix)


def _quick_check_holds(path: str, request: str) -> bool:
    """Whether everything the quick check at `path` wrote down is still so, for `request` in
    this environment. Any doubt (a line it does not know, an error) is a no: the usual check
    decides then."""
    try:
        # bytes, decoded here: the first text-mode open of a process costs more than the check
        with open(path, "rb") as file:
            lines = file.read().decode("utf-8", "surrogateescape").split("\n")
    except OSError:
        return False
    if lines[0] != QUICK_CHECK_HEADER:
        return False
    stat, access, exists = os.stat, os.access, os.F_OK
    requested = False
    selection = None
    recorded: dict[str, str] = {}
    try:
        for line in lines[1:]:
            kind, _, rest = line.partition("\t")
            if kind == "absent":
                # (without an exception per file; a file another user's directory hides, such
                # as the owner's cargo configuration, counts as absent, as written)
                if access(rest, exists):
                    return False
            elif kind == "present":
                if not access(rest, exists):
                    return False
            elif kind == "file":
                mtime, ctime, size, inode, file_path = rest.split("\t", 4)
                try:
                    found = stat(file_path)
                except PermissionError:
                    # another user's file: to a user who cannot write this environment, whose
                    # owner alone rebuilds it, it stands as written
                    if access(sys.prefix, os.W_OK):
                        return False
                    continue
                if (
                    found.st_mtime_ns != int(mtime)
                    or found.st_ctime_ns != int(ctime)
                    or found.st_size != int(size)
                    or found.st_ino != int(inode)
                ):
                    return False
            elif kind == "set":
                name, value = rest.split("\t", 1)
                recorded[name] = value
            elif kind == "request":
                requested = requested or rest == request
            elif kind == "environment":
                if rest != sys.prefix:
                    return False
            elif kind == "variables":
                selection = rest.split("\t")
            elif line:
                return False
    except (OSError, ValueError):
        return False
    if not requested or selection is None or len(selection) != 3:
        return False
    prefixes, ignored, ignored_prefixes = (tuple(part.split()) for part in selection)
    environ = os.environ
    relevant = 0
    for name in environ:
        if name.startswith(prefixes) and name not in ignored and not name.startswith(ignored_prefixes):
            if recorded.get(name) != environ[name]:
                return False
            relevant += 1
    return relevant == len(recorded)
