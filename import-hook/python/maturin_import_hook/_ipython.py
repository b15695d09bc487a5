"""The IPython extension of the import hook (`%load_ext maturin_import_hook`).

Before each cell, the hooked projects whose modules the kernel imported (see `_hooked_projects`)
get the import's own check: a few stats each, nothing more when nothing changed. A stale one is
rebuilt by the import's pipeline and its modules are reloaded (as `importlib.reload` reloads
them through the importer that owns them), with one line on stderr saying what was rebuilt and
why. A failed build becomes the cell's error (the compiler's messages, no traceback) and the cell
does not run; the previous build stays loaded. The cells after it run with that build, and the
first cell after an input changed tries again (and says "fixed" when it builds).

`%%rust my_mod`: the cell is the source of a standalone pyo3 module, built as the `.rs` file
importer builds a file (in the target directory shared by every `.rs` file, so pyo3 compiles
once), imported and bound as `my_mod`; running the cell again after an edit rebuilds and rebinds.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import os
import re
import sys
import time
from typing import Any

from maturin_import_hook import _hooked_projects
from maturin_import_hook._outcome import Action
from maturin_import_hook.error import BuildError, ImportHookError

_EXTENSION: _Extension | None = None


class CellBuildError(Exception):
    """A build the cell needed failed: IPython shows the message, without a traceback. The
    exception's text is plain; what the frontend renders keeps the compiler's colours."""

    def __init__(self, message: str) -> None:
        super().__init__(_ANSI_ESCAPE.sub("", message))
        self.rendered = message

    def _render_traceback_(self) -> list[str]:
        return self.rendered.splitlines()


_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class _Extension:
    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.failure: CellBuildError | None = None
        self.gone: set[str] = set()
        """Requests whose sources are gone: their last build stays loaded, unchecked."""
        self.loaded: dict[str, tuple[str | None, tuple[int, int] | None]] = {}
        """Request -> its extension file as the kernel loaded it and that file's identity, so
        that a build by another process (`maturin develop` in a terminal, a pytest run) is
        reloaded too."""
        self.failed: dict[str, tuple[str, str | None]] = {}
        """Request -> the message of its last failed build and the state of its inputs then
        (see `_hooked_projects.inputs_state`): until an input changes, the cells run with the
        previous build, and no build is tried."""
        self.rust_cells: dict[str, object] = {}
        """Module name -> the module of a `%%rust` cell."""

    # --- before each cell ----------------------------------------------------------------

    def pre_run_cell(self, info: object = None) -> None:
        self._stop_rejecting()
        for project in _hooked_projects.projects(True):
            if project.request in self.gone:
                continue
            loaded = self.loaded.get(project.request)
            if loaded is None:
                loaded = self.loaded[project.request] = _loaded_extension(project)
            if _hooked_projects.is_fresh(project) and _identity(loaded[0]) == loaded[1]:
                continue
            failed = self.failed.get(project.request)
            if failed is not None and failed[1] is not None:
                if failed[1] == _hooked_projects.inputs_state(project):
                    continue  # it would fail as it did: the error was shown, the cell runs as before
            failure = self._rebuild_and_reload(project)
            if failure is not None:
                self._reject_cell(failure)
                return

    def _rebuild_and_reload(self, project: _hooked_projects.Project) -> CellBuildError | None:
        names = ", ".join(project.names)
        started = time.perf_counter()
        try:
            with _quiet_build_log():
                outcome = _hooked_projects.bring_up_to_date(project)
        except ImportHookError as failure:
            message = _failure_message(failure, names, _CELL_DID_NOT_RUN.format(names=names))
            before = self.failed.get(project.request)
            self.failed[project.request] = (message, _hooked_projects.inputs_state(project))
            if before is not None and before[0] == message:
                _say(
                    f"maturin_import_hook: {names} still fails to build (the errors shown before); "
                    "this cell runs with its previous build"
                )
                return None
            return CellBuildError(message)
        fixed = self.failed.pop(project.request, None) is not None
        if outcome.action is Action.SOURCES_GONE:
            self.gone.add(project.request)
            return None
        from maturin_import_hook import _reload

        try:
            with _reload.collect_left_behind() as left_behind:
                for name in project.names:
                    module = sys.modules.get(name)
                    if module is not None:
                        importlib.reload(module)
        except ImportHookError as failure:
            return CellBuildError(_failure_message(failure, names, _CELL_DID_NOT_RUN.format(names=names)))
        except Exception as failure:  # the package's own code failed when it ran again
            self.loaded[project.request] = _loaded_extension(project)
            return CellBuildError(
                f"maturin_import_hook: {names} was rebuilt, but reloading it raised "
                f"{type(failure).__name__}: {failure}\n\nThe cell did not run. Fix the error and "
                f"import {project.names[0]} again (or restart the kernel)."
            )
        self.loaded[project.request] = _loaded_extension(project)
        seconds = time.perf_counter() - started
        why = f" ({_short_reason(outcome.reason)})" if outcome.reason else ""
        left = f"; {_reload.left_behind_message(left_behind)}" if left_behind else ""
        if outcome.built:
            what = "fixed: rebuilt" if fixed else "rebuilt"
            _say(f"maturin_import_hook: {what} {names}{why} in {seconds:.2f}s and reloaded it{left}")
        elif outcome.source is not None:
            store = f"from the store ({outcome.source})"
            _say(f"maturin_import_hook: restored {names}{why} {store} and reloaded it{left}")
        else:
            _say(f"maturin_import_hook: reloaded {names}, which another process rebuilt{left}")
        return None

    def _reject_cell(self, failure: CellBuildError) -> None:
        """IPython runs a cell whatever a `pre_run_cell` callback raises; an AST transformer that
        raises `InputRejected` stops it and shows the error. It is there only for that cell."""
        from IPython.core.error import InputRejected

        # named as the error it shows (a notebook shows the class name)
        rejected = type("CellBuildError", (InputRejected, CellBuildError), {})
        extension = self

        class Rejecter:
            def visit(self, node: object) -> object:
                extension._stop_rejecting()
                raise rejected(failure.rendered)

        self.failure = failure
        self.shell.ast_transformers.append(Rejecter())

    def _stop_rejecting(self) -> None:
        if self.failure is not None:
            self.failure = None
            transformers = self.shell.ast_transformers
            transformers[:] = [t for t in transformers if type(t).__name__ != "Rejecter"]

    # --- %%rust --------------------------------------------------------------------------

    def rust(self, line: str, cell: str) -> None:
        """%%rust MODULE_NAME: builds the cell, the source of a pyo3 module named MODULE_NAME
        (`#[pymodule] fn MODULE_NAME`), as a standalone `.rs` file, and binds the module to
        MODULE_NAME. Running the cell again after an edit rebuilds and rebinds it."""
        name = line.strip()
        if not name.isidentifier():
            raise CellBuildError(
                f"%%rust needs the name of the module the cell defines, got {line.strip()!r}: "
                "write `%%rust my_module` above a cell with `#[pymodule] fn my_module`"
            )
        existing = sys.modules.get(name)
        if existing is not None and self.rust_cells.get(name) is not existing:
            where = getattr(existing, "__file__", None) or "built in"
            raise CellBuildError(
                f'%%rust {name}: a module "{name}" is already imported ({where}): '
                "give the cell's module another name"
            )
        rs_file = _write_cell(name, cell)
        from maturin_import_hook import rust_file_importer

        importer = rust_file_importer.IMPORTER or rust_file_importer.MaturinRustFileImporter()
        started = time.perf_counter()
        try:
            with _quiet_build_log():
                extension, outcome = importer.build_module(name, rs_file)
        except ImportHookError as failure:
            after = (
                f"{name} still holds the previous build of this cell."
                if existing is not None
                else "Fix the error and run the cell again."
            )
            raise CellBuildError(_failure_message(failure, name, after)) from None
        if existing is None:
            loader = importlib.machinery.ExtensionFileLoader(name, extension)
            spec = importlib.machinery.ModuleSpec(name, loader, origin=extension)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                loader.exec_module(module)
            except BaseException:
                del sys.modules[name]
                raise
        else:
            module = existing
            if outcome is not None or getattr(existing, "__file__", None) != extension:
                from maturin_import_hook import _reload

                reload_spec = _reload.reload_spec(name)
                if reload_spec is not None and reload_spec.loader is not None:
                    reload_spec.loader.exec_module(module)
        self.rust_cells[name] = module
        self.shell.user_ns[name] = module
        if outcome is not None and outcome.built:
            _say(f"maturin_import_hook: built {name} in {time.perf_counter() - started:.2f}s")


def _loaded_extension(project: _hooked_projects.Project) -> tuple[str | None, tuple[int, int] | None]:
    """The first extension module of the project that the kernel loaded, and its identity: a
    build puts a new file in place. Looked up once per load (it walks `sys.modules`)."""
    for name in project.names:
        prefix = name + "."
        for module_name, module in list(sys.modules.items()):
            if module_name == name or module_name.startswith(prefix):
                if isinstance(getattr(module, "__loader__", None), importlib.machinery.ExtensionFileLoader):
                    path = getattr(module, "__file__", None)
                    return path, _identity(path)
    return None, None


def _identity(path: str | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns


def _write_cell(name: str, source: str) -> Any:
    """The cell's source as `<name>.rs` in a directory of this working directory's cells (so
    notebooks in different directories do not rebuild each other's modules); written only when
    it changed, so that an unchanged cell is fresh. (`maturin import-hook status` names the
    files under `maturin_import_hook/rust_cells/` as notebook cells.)"""
    from pathlib import Path

    from IPython.paths import get_ipython_cache_dir

    key = hashlib.sha256(os.fsencode(os.getcwd())).hexdigest()[:16]
    directory = Path(get_ipython_cache_dir()) / "maturin_import_hook" / "rust_cells" / key
    directory.mkdir(parents=True, exist_ok=True)
    rs_file = directory / f"{name}.rs"
    if not rs_file.exists() or rs_file.read_text(encoding="utf-8") != source:
        rs_file.write_text(source, encoding="utf-8")
    return rs_file


_CELL_DID_NOT_RUN = (
    "The cell did not run; the previous build of {names} is still loaded. The cells after this "
    "one run with it until the error is fixed: the next cell after the fix rebuilds it."
)


def _failure_message(failure: ImportHookError, names: str, after: str) -> str:
    """What failed (with the compiler's errors), then `after`: what it means and what to do."""
    if isinstance(failure, BuildError):
        text = f'maturin_import_hook: the build of "{failure.project}" failed: {failure.reason}'
        if failure.diagnostics.strip():
            text += "\n" + failure.diagnostics.rstrip()
    else:
        text = f"maturin_import_hook: bringing {names} up to date failed: {failure}"
    return f"{text}\n\n{after}"


def _short_reason(reason: str) -> str:
    """`/home/me/project/src/lib.rs changed` -> `src/lib.rs changed` when under the cwd."""
    try:
        cwd = os.getcwd() + os.sep
    except OSError:
        return reason
    return reason.replace(cwd, "")


def _say(line: str) -> None:
    print(line, file=sys.stderr)


class _quiet_build_log:
    """The notebook gets one line per rebuild: the logger's INFO records (the build line,
    cargo's progress) are left out for the duration; warnings and errors still show."""

    def __enter__(self) -> None:
        import logging

        from maturin_import_hook._logging import logger

        class Quiet(logging.Filter):
            def filter(self, record: logging.LogRecord) -> bool:
                return record.levelno >= logging.WARNING

        self.logger = logger
        self.filter = Quiet()
        logger.addFilter(self.filter)

    def __exit__(self, *exc_info: object) -> None:
        self.logger.removeFilter(self.filter)


def load(shell: Any) -> None:
    global _EXTENSION
    if _EXTENSION is not None:
        return
    extension = _Extension(shell)
    shell.events.register("pre_run_cell", extension.pre_run_cell)
    shell.register_magic_function(extension.rust, "cell", "rust")
    _EXTENSION = extension


def unload(shell: Any) -> None:
    global _EXTENSION
    if _EXTENSION is not None:
        shell.events.unregister("pre_run_cell", _EXTENSION.pre_run_cell)
        _EXTENSION._stop_rejecting()
        _EXTENSION = None


__all__ = ["CellBuildError", "load", "unload"]
