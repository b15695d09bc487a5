"""What the `--with-hook` finder runs for a watched module that is stale or being reloaded."""

from __future__ import annotations

import importlib
import os
import sys
import time

from maturin_import_hook import _build

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec


def find_spec(fullname: str, request: str) -> tuple[ModuleSpec | None, list[str]]:
    """The spec to import `fullname` with (None: the finders that follow import it as
    installed), and the modules the project provides when a rebuild found that `fullname` is
    no longer one of them (it was renamed)."""
    started = time.perf_counter()
    status, detail, modules = _build.ensure_built(fullname, request, show_warnings=_show_warnings())
    if status == "sources-gone":
        _build.warn_sources_gone(fullname, detail or "")
    elif modules and fullname not in modules:
        importlib.invalidate_caches()
        return None, modules
    if fullname in sys.modules:
        from maturin_import_hook import _reload

        return _reload.reload_spec(fullname), []
    if status in ("replayed", "installed", "found-rebuilt"):
        importlib.invalidate_caches()
        _build.make_importable(fullname)
    _build.log_outcome(fullname, "package", status, started)
    return None, []


def _show_warnings() -> bool:
    """cargo's warnings are logged unless MATURIN_IMPORT_HOOK_SHOW_WARNINGS=0 (the
    `show_warnings=False` of `install()`); errors always reach the BuildError."""
    return os.environ.get("MATURIN_IMPORT_HOOK_SHOW_WARNINGS") != "0"
