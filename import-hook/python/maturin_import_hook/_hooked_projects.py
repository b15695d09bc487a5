"""The hooked projects of this process, for the front ends that bring them up to date without an
import: the IPython extension (before each cell) and the pytest plugin (before collection).

They are what the import hook's finders on `sys.meta_path` build: each answers
`hooked_projects(imported_only)` (the `.pth` finders of `maturin develop --with-hook` and of
editable installs that carry the hook, the project importer of `install()`, the `.rs` file
importer). Each project is brought up to date by the import's own pipeline
(`_pipeline.bring_up_to_date`), with the settings of the importer that owns it; nothing here
decides freshness or builds.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, NamedTuple

from maturin_import_hook import _pipeline

if TYPE_CHECKING:
    from maturin_import_hook._outcome import Outcome


class Project(NamedTuple):
    """One build request and the modules it provides."""

    request: str
    """The JSON of the build request, as the importer that owns the project made it."""
    names: tuple[str, ...]
    """The modules of the project (top-level, or a dotted `.rs` module)."""
    lock_timeout_seconds: float | None
    show_warnings: bool
    quick_check: str | None = None
    """The project's quick check (see `_finder`), for the `.pth` front ends."""


def projects(imported_only: bool) -> list[Project]:
    """The hooked projects of this process (only those with a module in `sys.modules` when
    `imported_only`), one per build request, as the finders on `sys.meta_path` own them (the
    first finder of a module owns it). Costs a few lookups when there is none."""
    owned: set[str] = set()
    found: dict[str, Project] = {}
    for finder in sys.meta_path:
        hooked = getattr(finder, "hooked_projects", None)
        if hooked is None:
            continue
        for project in hooked(imported_only):
            names = tuple(name for name in project.names if name not in owned)
            if not names:
                continue
            owned.update(names)
            known = found.get(project.request)
            if known is not None:
                names = tuple(sorted({*known.names, *names}))
            found[project.request] = project._replace(names=names)
    return list(found.values())


def is_fresh(project: Project) -> bool:
    """The import's own check (stats of the recorded inputs): the build is up to date."""
    from maturin_import_hook import _finder

    return _finder.is_fresh(project.request, project.quick_check)


def inputs_state(project: Project) -> str | None:
    """A short hash of the stats of the inputs of the project's last build: while it is what it
    was when a build failed, the build would fail again. None without a record."""
    from maturin_import_hook import _fast

    return _fast.inputs_state(project.request, sys.prefix)


def bring_up_to_date(project: Project) -> Outcome:
    """Runs the import's pipeline for `project` (replay cargo, or a full develop), under the
    project lock. A failed build raises `error.BuildError` with the compiler's diagnostics; the
    installed build stays."""
    from maturin_import_hook._outcome import Action

    name = project.names[0]
    outcome = _pipeline.bring_up_to_date(
        name,
        project.request,
        lock_timeout_seconds=project.lock_timeout_seconds,
        show_warnings=project.show_warnings,
    )
    if outcome.action is Action.SOURCES_GONE:
        _pipeline.warn_sources_gone(name, outcome)
    elif outcome.changed:
        importlib.invalidate_caches()
    return outcome
