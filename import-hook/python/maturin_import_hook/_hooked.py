"""What the `--with-hook` finder runs for a watched module that is stale or being reloaded."""

from __future__ import annotations

import importlib
import os
import sys
import time

from maturin_import_hook import _pipeline

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec


def find_spec(fullname: str, request: str) -> tuple[ModuleSpec | None, list[str]]:
    """The spec to import `fullname` with (None: the finders that follow import it as
    installed), and the modules the project provides when a rebuild found that `fullname` is
    no longer one of them (it was renamed)."""
    from maturin_import_hook._outcome import Action

    started = time.perf_counter()
    outcome = _pipeline.bring_up_to_date(fullname, request, show_warnings=_show_warnings())
    if outcome.action is Action.SOURCES_GONE:
        _pipeline.warn_sources_gone(fullname, outcome)
    elif outcome.modules and fullname not in outcome.modules:
        importlib.invalidate_caches()
        return None, outcome.modules
    spec = None
    if fullname in sys.modules:
        from maturin_import_hook import _reload

        spec = _reload.reload_spec(fullname)
    elif outcome.changed:
        importlib.invalidate_caches()
        _pipeline.make_importable(fullname)
    _pipeline.log_outcome(fullname, "package", outcome, started)
    return spec, []


def _show_warnings() -> bool:
    """cargo's warnings are logged unless MATURIN_IMPORT_HOOK_SHOW_WARNINGS=0 (the
    `show_warnings=False` of `install()`); errors always reach the BuildError."""
    return os.environ.get("MATURIN_IMPORT_HOOK_SHOW_WARNINGS") != "0"
