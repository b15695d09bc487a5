"""The finder that `maturin develop --with-hook` registers, from a `.pth` line, at start-up.

Start-up cost is the point of this module: it imports nothing (`sys` and `os` are loaded
before `.pth` files run), and an import of any module it does not watch costs one dict lookup.
A watched import loads `maturin_import_hook._fast` (small, without the maturin crate) to stat
the recorded inputs; `maturin_import_hook._rebuild` is only loaded when a build is due or on a
reload.
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from typing import Optional, Sequence

# top-level module name -> (state directory, hook configuration as JSON)
_watched: "dict[str, tuple[str, str]]" = {}


class HookFinder:
    """A meta path finder for exactly the watched top-level modules: before one is imported
    (or reloaded), its build is checked and, if a Rust input changed, rebuilt. It then leaves
    the import itself to the finders that follow (it returns None), except on a reload."""

    @staticmethod
    def find_spec(fullname: str, path: object = None, target: object = None) -> "Optional[ModuleSpec]":
        watched = _watched.get(fullname)
        if watched is None or os.environ.get("MATURIN_IMPORT_HOOK_ENABLED") == "0":
            return None
        from maturin_import_hook import _fast

        if fullname not in sys.modules and _fast.is_fresh(watched[0]):
            return None  # up to date: the following finders import it as installed
        from maturin_import_hook import _rebuild

        return _rebuild.find_spec(fullname, watched[0], watched[1])

    @staticmethod
    def invalidate_caches() -> None:
        pass


def watch(names: "Sequence[str]", state_dir: str, config: str) -> None:
    """Watches the top-level modules `names` of the project whose build state is in
    `state_dir`; `config` says how to run a full develop again."""
    if os.environ.get("MATURIN_IMPORT_HOOK_ENABLED") == "0":
        return
    for name in names:
        _watched[name] = (state_dir, config)
    if HookFinder not in sys.meta_path:
        sys.meta_path.insert(0, HookFinder)
