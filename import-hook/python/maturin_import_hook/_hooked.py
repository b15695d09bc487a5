"""What the `--with-hook` finder runs for a watched module that is stale or being reloaded."""

from __future__ import annotations

import importlib
import os
import sys
import time

from maturin_import_hook import _build, _finder

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec


def find_spec(fullname: str, request: str) -> ModuleSpec | None:
    started = time.perf_counter()
    status, detail, modules = _build.ensure_built(fullname, request, show_warnings=_show_warnings())
    if status == "sources-gone":
        _build.warn_sources_gone(fullname, detail or "")
    elif modules and fullname not in modules:
        _follow_rename(fullname, modules)
    if fullname in sys.modules:
        from maturin_import_hook import _reload

        return _reload.reload_spec(fullname)
    if status in ("replayed", "installed"):
        importlib.invalidate_caches()
        _build.make_importable(fullname)
    _build.log_outcome(fullname, "package", status, started)
    return None


def _follow_rename(fullname: str, modules: list[str]) -> None:
    """The project no longer provides `fullname` (its module was renamed): watch the modules it
    provides now, and say so instead of importing something else."""
    request = _finder._watched.pop(fullname)
    for module in modules:
        _finder._watched[module] = request
    importlib.invalidate_caches()
    provides = ", ".join(f'"{module}"' for module in modules)
    raise ModuleNotFoundError(
        f'No module named "{fullname}": its project was rebuilt and now provides {provides}',
        name=fullname,
    )


def _show_warnings() -> bool:
    """cargo's warnings are logged unless MATURIN_IMPORT_HOOK_SHOW_WARNINGS=0 (the
    `show_warnings=False` of `install()`); errors always reach the BuildError."""
    return os.environ.get("MATURIN_IMPORT_HOOK_SHOW_WARNINGS") != "0"
