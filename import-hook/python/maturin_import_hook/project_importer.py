"""The project importer of `maturin_import_hook.install()`: rebuilds maturin projects that are
installed in editable mode (`maturin develop`, `pip install -e`, `uv pip install -e`) when they
are imported, as PyPI maturin-import-hook 0.3.0 does, but in-process. With
`enable_automatic_installation`, a maturin project at or above a sys.path entry (or installed
from a local directory without `-e`) is installed in editable mode by its first import.

The decisions are those of `maturin develop` (in Rust, through `maturin_import_hook._native`):
the build's recorded inputs, the project lock and the state are shared with the command line
and with `maturin develop --with-hook`, so no project is built twice. Projects watched by a
`--with-hook` finder are left to it. Which sys.path entries hold which editable projects is
learnt once and kept until `importlib.invalidate_caches()` or a change of `sys.path`.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Iterator, NamedTuple, Sequence

from maturin_import_hook import _meta_path, _pipeline
from maturin_import_hook._default_settings import importer_args
from maturin_import_hook._logging import logger
from maturin_import_hook.error import MaturinError

if TYPE_CHECKING:
    from maturin_import_hook._hooked_projects import Project
    from maturin_import_hook._outcome import Outcome
    from maturin_import_hook.settings import MaturinSettings

# `install()` is on the start-up path of every program that uses it: what only a build, an
# override or the first scan of sys.path needs is imported there. The first import the
# importer handles loads `_fast` (small); `_native` (the maturin crate) only for a build.

__all__ = [
    "IMPORTER",
    "DefaultProjectFileSearcher",
    "MaturinProjectImporter",
    "ProjectFileSearcher",
    "install",
    "is_installed",
    "uninstall",
]


class ProjectFileSearcher(ABC):
    """Lists a project's source files and installed files. The source files of a searcher given
    to the importer count as inputs of the build, besides the files the compiler read: a change
    of one of them (or of the list) rebuilds the project.

    The installed package roots are a list, as in upstream's main branch (a mixed project can
    install a package and an extension module); a single path, as 0.3.0 passed, is accepted too."""

    @abstractmethod
    def get_source_paths(
        self,
        project_dir: Path,
        all_path_dependencies: list[Path],
        installed_package_roots: list[Path] | Path,
    ) -> Iterator[Path]:
        """The source files of the project and its path dependencies."""

    @abstractmethod
    def get_installation_paths(self, installed_package_roots: list[Path] | Path) -> Iterator[Path]:
        """The installed files of the project."""


def _as_list(roots: list[Path] | Path) -> list[Path]:
    return [roots] if isinstance(roots, Path) else list(roots)


class DefaultProjectFileSearcher(ProjectFileSearcher):
    """Walks the project directory, as PyPI maturin-import-hook does. Not used unless passed as
    `file_searcher`: by default the importer checks the files the last build actually read."""

    DEFAULT_SOURCE_EXCLUDED_DIR_NAMES: ClassVar[set[str]] = {
        ".cache", ".env", ".git", ".idea", ".ipynb_checkpoints", ".mypy_cache", ".nox", ".pixi", ".pyre",
        ".pytest_cache", ".ropeproject", ".spyderproject", ".spyproject", ".tox", ".venv", ".vscode",
        ".yarn", "__pycache__", "dist", "env", "node_modules", "target", "venv",
    }  # fmt: skip
    DEFAULT_SOURCE_EXCLUDED_DIR_MARKERS: ClassVar[set[str]] = {"CACHEDIR.TAG", ".maturin_hook_ignore"}
    # `.pyi`: stubs that `--generate-stubs` writes are outputs, not sources
    DEFAULT_SOURCE_EXCLUDED_FILE_EXTENSIONS: ClassVar[set[str]] = {".so", ".py", ".pyc", ".pyi"}

    def __init__(
        self,
        *,
        source_excluded_dir_names: set[str] | None = None,
        source_excluded_dir_markers: set[str] | None = None,
        source_excluded_file_extensions: set[str] | None = None,
    ) -> None:
        self._dir_names = (
            self.DEFAULT_SOURCE_EXCLUDED_DIR_NAMES
            if source_excluded_dir_names is None
            else source_excluded_dir_names
        )
        self._dir_markers = (
            self.DEFAULT_SOURCE_EXCLUDED_DIR_MARKERS
            if source_excluded_dir_markers is None
            else source_excluded_dir_markers
        )
        self._extensions = (
            self.DEFAULT_SOURCE_EXCLUDED_FILE_EXTENSIONS
            if source_excluded_file_extensions is None
            else source_excluded_file_extensions
        )

    def get_source_paths(
        self,
        project_dir: Path,
        all_path_dependencies: list[Path],
        installed_package_roots: list[Path] | Path,
    ) -> Iterator[Path]:
        roots = _as_list(installed_package_roots)
        ignore_dirs = {root for root in roots if root.is_dir()}
        ignore_files = {root for root in roots if root not in ignore_dirs}
        for search_root in [project_dir, *all_path_dependencies]:
            files = self.get_files_in_dir(
                search_root, ignore_dirs, self._dir_names, self._dir_markers, self._extensions
            )
            yield from (path for path in files if path not in ignore_files)

    def get_installation_paths(self, installed_package_roots: list[Path] | Path) -> Iterator[Path]:
        for root in _as_list(installed_package_roots):
            if root.is_dir():
                yield from self.get_files_in_dir(root, set(), {"__pycache__"}, set(), {".pyc"})
            elif root.is_file():
                yield root

    def get_files_in_dir(
        self,
        root_path: Path,
        ignore_dirs: set[Path],
        excluded_dir_names: set[str],
        excluded_dir_markers: set[str],
        excluded_file_extensions: set[str],
    ) -> Iterator[Path]:
        """The files under `root_path`, sorted, leaving out directories that are named in
        `excluded_dir_names`, listed in `ignore_dirs`, or hold a file named in
        `excluded_dir_markers` (`CACHEDIR.TAG`, `.maturin_hook_ignore`), and files whose suffix
        is in `excluded_file_extensions`."""
        if root_path.name in excluded_dir_names:
            return
        if not root_path.exists():
            raise FileNotFoundError(root_path)
        for dirpath, dirnames, filenames in os.walk(root_path, topdown=True):
            current = Path(dirpath)
            if current in ignore_dirs or any(name in excluded_dir_markers for name in filenames):
                dirnames[:] = []
                continue
            dirnames[:] = sorted(name for name in dirnames if name not in excluded_dir_names)
            for name in sorted(filenames):
                path = current / name
                if path.suffix.lower() not in excluded_file_extensions:
                    yield path


class MaturinProjectImporter(importlib.abc.MetaPathFinder):
    """Rebuilds editable maturin projects before they are imported."""

    def __init__(
        self,
        *,
        settings: MaturinSettings | None = None,
        file_searcher: ProjectFileSearcher | None = None,
        build_dir: Path | None = None,
        lock_timeout_seconds: float | None = 120,
        enable_reloading: bool = True,
        enable_automatic_installation: bool = False,
        force_rebuild: bool = False,
        show_warnings: bool = True,
    ) -> None:
        self._settings = settings
        self._file_searcher = file_searcher
        self._build_dir = build_dir
        self._lock_timeout_seconds = lock_timeout_seconds
        self._enable_reloading = enable_reloading
        self._enable_automatic_installation = enable_automatic_installation
        self._force_rebuild = force_rebuild
        self._show_warnings = show_warnings
        self._maturin_path: Path | None = None
        # import name -> project, for the sys.path it was learnt from
        self._projects: dict[str, _Project] | None = None
        self._projects_path: list[str] = []

    def get_settings(self, module_path: str, source_path: Path) -> MaturinSettings:
        """The settings to build the project at `source_path` (imported as `module_path`) with."""
        if self._settings is not None:
            return self._settings
        from maturin_import_hook.settings import MaturinSettings

        return MaturinSettings.default()

    def find_maturin(self) -> Path:
        """The maturin binary, for subclasses that build with it (the default builds in-process)."""
        if self._maturin_path is None:
            import shutil

            found = shutil.which("maturin")
            if found is None:
                raise MaturinError("maturin not found")
            self._maturin_path = Path(found)
        return self._maturin_path

    def invalidate_caches(self) -> None:
        logger.debug("clearing cache")
        self._projects = None

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: object = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if path is not None or "." in fullname:
            return None
        from maturin_import_hook import _finder

        if _finder.is_watched(fullname):
            # the `develop --with-hook` finder owns it; answering for it keeps the importers
            # that follow (a stray `<name>.rs`) from shadowing the installed package
            spec = _finder.HookFinder.find_spec(fullname)
            return spec if spec is not None else importlib.machinery.PathFinder.find_spec(fullname)
        reloading = fullname in sys.modules
        if reloading and not self._enable_reloading:
            return None
        project = self._project_index().get(fullname)
        if project is None:
            return None
        # upstream's records for these events, then ours
        if project.installed:
            logger.debug('found project linked by dist-info: "%s"', project.project_dir)
        else:
            logger.debug('found project above the search path: "%s"', project.project_dir)
            if not self._enable_automatic_installation:
                logger.debug(
                    'package "%s" is not already installed and enable_automatic_installation=False. '
                    "Not importing (install(enable_automatic_installation=True) would install it)",
                    fullname,
                )
                return None
        started = time.perf_counter()
        outcome = self._rebuild(fullname, project)
        if outcome is not None and outcome.changed:
            importlib.invalidate_caches()
            _pipeline.make_importable(fullname)
        if reloading:
            from maturin_import_hook import _reload

            spec = _reload.reload_spec(fullname)
        else:
            # the project's install answers the import, as upstream's importer does, so that
            # the importers that follow (a stray `<name>.rs`) cannot shadow it
            spec = importlib.machinery.PathFinder.find_spec(fullname)
        origin = None if spec is None else spec.origin
        _pipeline.log_outcome(fullname, "package", outcome, started, origin)
        return spec

    def hooked_projects(self, imported_only: bool) -> list[Project]:
        """The editable projects this importer builds (see `_hooked_projects`): none of those
        a `.pth` finder watches, and with `imported_only`, only imported ones, unless reloading
        is off (a reload then leaves them as they are)."""
        if imported_only and not self._enable_reloading:
            return []
        from maturin_import_hook import _finder, _hooked_projects

        projects = []
        for name, project in self._project_index().items():
            if _finder.is_watched(name) or not project.installed:
                continue
            if imported_only and name not in sys.modules:
                continue
            request = self._request(name, project)
            if request is not None:
                projects.append(
                    _hooked_projects.Project(
                        request, (name,), self._lock_timeout_seconds, self._show_warnings
                    )
                )
        return projects

    def _rebuild(self, name: str, project: _Project) -> Outcome | None:
        """Brings the project's build up to date; what the pipeline did (`None`: it was up to
        date)."""
        request = self._request(name, project)
        if request is None:
            args = importer_args(self, MaturinProjectImporter, name, project.project_dir)
            return self._rebuild_with_binary(name, project.manifest, args)
        from maturin_import_hook import _fast

        if not self._force_rebuild and _fast.is_fresh(request, sys.prefix):
            return None
        outcome = _pipeline.bring_up_to_date(
            name,
            request,
            lock_timeout_seconds=self._lock_timeout_seconds,
            force=self._force_rebuild,
            show_warnings=self._show_warnings,
        )
        from maturin_import_hook._outcome import Action

        if outcome.action is Action.SOURCES_GONE:
            _pipeline.warn_sources_gone(name, outcome)
        return outcome

    def _request(self, name: str, project: _Project) -> str | None:
        """The build request (JSON) of the project imported as `name`, with this importer's
        settings; None when an override of `find_maturin()` builds it with that binary."""
        if type(self).find_maturin is not MaturinProjectImporter.find_maturin:
            return None
        from maturin_import_hook import _fast

        args = importer_args(self, MaturinProjectImporter, name, project.project_dir)
        extra_inputs = [] if self._file_searcher is None else self._searched_sources(name, project)
        build_dir = None if self._build_dir is None else str(self._build_dir)
        return _fast.project_request(str(project.manifest), args, build_dir, extra_inputs)

    def _searched_sources(self, name: str, project: _Project) -> list[str]:
        """The source files the user's file searcher lists (as upstream calls it)."""
        from maturin_import_hook import _fast

        assert self._file_searcher is not None
        started = time.perf_counter()
        path_dependencies = [Path(path) for path in _fast.path_dependencies(str(project.manifest))]
        spec = importlib.machinery.PathFinder.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            package_root = Path(next(iter(spec.submodule_search_locations)))
        elif spec is not None and spec.origin is not None:
            package_root = Path(spec.origin)
        else:
            package_root = project.project_dir / name
        searched = self._file_searcher.get_source_paths(project.project_dir, path_dependencies, package_root)
        sources = [str(path) for path in searched]
        logger.debug(
            'the file searcher listed %d source files of "%s" in %.3f ms',
            len(sources),
            name,
            (time.perf_counter() - started) * 1000,
        )
        return sources

    def _rebuild_with_binary(self, name: str, manifest: Path, args: list[str]) -> Outcome:
        """`maturin develop` by the binary an override of `find_maturin()` returns, as upstream
        runs it."""
        import subprocess

        from maturin_import_hook._outcome import Action, Outcome

        command = [str(self.find_maturin()), "develop", "--manifest-path", str(manifest), *args]
        logger.info('building "%s"', name)
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if result.returncode != 0:
            logger.error("command %s returned non-zero exit status: %d", command, result.returncode)
            logger.error("maturin output:\n%s", result.stdout)
            raise MaturinError("Failed to build package with maturin")
        if self._show_warnings and "warning" in result.stdout:
            logger.warning('build of "%s" succeeded with warnings:\n%s', name, result.stdout)
        return Outcome(Action.BUILT.value, None, False, [], None)

    def _project_index(self) -> dict[str, _Project]:
        if self._projects is None or self._projects_path != sys.path:
            self._projects_path = list(sys.path)
            # the scan imports the native modules, which comes back here: those imports must
            # see an (empty) index instead of starting another scan
            self._projects = {}
            self._projects = _find_projects(self._projects_path)
        return self._projects


class _Project(NamedTuple):
    project_dir: Path
    manifest: Path
    # an editable dist-info on sys.path links to it (else: found above a sys.path entry, or
    # linked by a non-editable install; built only with enable_automatic_installation)
    installed: bool


def _find_projects(search_path: Sequence[str]) -> dict[str, _Project]:
    """Import name -> maturin project, for the projects an import could mean, as upstream
    finds them (see `project_discovery::find_projects` in hook-core)."""
    from maturin_import_hook import _fast

    entries = [os.path.abspath(entry or os.curdir) for entry in search_path]
    found, errors = _fast.find_projects(entries)
    for project_dir, error in errors:
        logger.info('failed to resolve project "%s": %s', project_dir, error)
    return {
        import_name: _Project(Path(project_dir), Path(manifest), installed)
        for import_name, project_dir, manifest, installed in found
    }


IMPORTER: MaturinProjectImporter | None = None


def install(
    *,
    settings: MaturinSettings | None = None,
    build_dir: Path | None = None,
    enable_reloading: bool = True,
    force_rebuild: bool = False,
    lock_timeout_seconds: float | None = 120,
    show_warnings: bool = True,
    file_searcher: ProjectFileSearcher | None = None,
    enable_automatic_installation: bool = False,
) -> MaturinProjectImporter:
    """Installs the project importer at the front of `sys.meta_path` (replacing an earlier one)."""
    global IMPORTER
    importer = MaturinProjectImporter(
        settings=settings,
        build_dir=build_dir,
        enable_reloading=enable_reloading,
        force_rebuild=force_rebuild,
        lock_timeout_seconds=lock_timeout_seconds,
        show_warnings=show_warnings,
        file_searcher=file_searcher,
        enable_automatic_installation=enable_automatic_installation,
    )
    _meta_path.replace(IMPORTER, importer)
    IMPORTER = importer
    return importer


def uninstall() -> None:
    """Removes the project importer from `sys.meta_path`."""
    global IMPORTER
    _meta_path.remove(IMPORTER)
    IMPORTER = None


def is_installed() -> bool:
    return _meta_path.is_installed(IMPORTER)
