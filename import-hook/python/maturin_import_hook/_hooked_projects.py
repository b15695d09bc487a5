"""The hooked projects of this process, for the front ends that bring them up to date without an
import: the IPython extension (before each cell) and the pytest plugin (before collection).

They are the projects the importers of this package know: the `.pth` finders of
`maturin develop --with-hook` and of editable installs that carry the hook (`_finder._watched`),
the project importer of `install()` (the editable projects it finds on `sys.path`), and the
modules the `.rs` file importer loaded. Each is brought up to date by the import's own pipeline
(`_build.ensure_built`), with the settings of the importer that owns it; nothing here decides
freshness or builds.
"""

from __future__ import annotations

import importlib
import sys
from typing import NamedTuple

from maturin_import_hook import _build

loaded_rs_files: dict[str, str] = {}
"""Module name -> build request (JSON) of the `.rs` files the file importer loaded (filled by
`rust_file_importer`; only files built by the in-process pipeline, whose freshness `_fast`
decides alone)."""


class Project(NamedTuple):
    """One build request and the modules it provides."""

    request: str
    """The JSON of the build request, as the importer that owns the project made it."""
    names: tuple[str, ...]
    """The modules of the project (top-level, or a dotted `.rs` module)."""
    lock_timeout_seconds: float | None
    show_warnings: bool


def _importer_options(importer: object | None) -> tuple[float | None, bool]:
    if importer is None:
        from maturin_import_hook import _hooked

        return 120, _hooked._show_warnings()
    return getattr(importer, "_lock_timeout_seconds", 120), getattr(importer, "_show_warnings", True)


def _reloads(importer: object | None, imported_only: bool) -> bool:
    """Whether the modules of `importer` may be rebuilt while imported: not when `install()` was
    given `enable_reloading=False` (a reload then leaves the module as it is)."""
    return not imported_only or getattr(importer, "_enable_reloading", True)


def projects(imported_only: bool) -> list[Project]:
    """The hooked projects of this process (only those with a module in `sys.modules` when
    `imported_only`), one per build request. Costs a few dict lookups when there is none."""
    by_request: dict[str, list[str]] = {}
    options: dict[str, tuple[float | None, bool]] = {}
    finder = sys.modules.get("maturin_import_hook._finder")
    if finder is not None and finder.enabled():
        for name, request in finder._watched.items():
            if not imported_only or name in sys.modules:
                by_request.setdefault(request, []).append(name)
                options[request] = _importer_options(None)
    project_importer = sys.modules.get("maturin_import_hook.project_importer")
    importer = None if project_importer is None else project_importer.IMPORTER
    if importer is not None and _reloads(importer, imported_only):
        watched = set() if finder is None else set(finder._watched)
        index = importer._project_index()
        for name, project in index.items():
            if name in watched or not project.installed or (imported_only and name not in sys.modules):
                continue
            request = importer._request(name, project)
            if request is not None:
                by_request.setdefault(request, []).append(name)
                options[request] = _importer_options(importer)
    rs_importer_module = sys.modules.get("maturin_import_hook.rust_file_importer")
    if rs_importer_module is not None and _reloads(rs_importer_module.IMPORTER, imported_only):
        for name, request in loaded_rs_files.items():
            if not imported_only or name in sys.modules:
                by_request.setdefault(request, []).append(name)
                options[request] = _importer_options(rs_importer_module.IMPORTER)
    return [
        Project(request, tuple(sorted(names)), *options[request]) for request, names in by_request.items()
    ]


def is_fresh(project: Project) -> bool:
    """The import's own check (stats of the recorded inputs): the build is up to date."""
    from maturin_import_hook import _fast

    return _fast.is_fresh(project.request, sys.prefix)


def bring_up_to_date(project: Project) -> tuple[str, str | None]:
    """Runs the import's pipeline for `project` (replay cargo, or a full develop), under the
    project lock. Returns `(status, detail)` as `_build.ensure_built` does. A failed build
    raises `error.BuildError` with the compiler's diagnostics; the installed build stays."""
    name = project.names[0]
    status, detail, _modules = _build.ensure_built(
        name,
        project.request,
        lock_timeout_seconds=project.lock_timeout_seconds,
        show_warnings=project.show_warnings,
    )
    if status == "sources-gone":
        _build.warn_sources_gone(name, detail or "")
    elif status in ("replayed", "installed"):
        importlib.invalidate_caches()
    return status, detail
