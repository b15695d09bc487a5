"""The project importer of `maturin_import_hook.install()`: rebuilds maturin projects that are
installed in editable mode (`maturin develop`, `pip install -e`, `uv pip install -e`) when they
are imported, as PyPI maturin-import-hook 0.3.0 does, but in-process.

The decisions are those of `maturin develop` (in Rust, through `maturin_import_hook._native`):
the build's recorded inputs, the project lock and the state are shared with the command line
and with `maturin develop --with-hook`, so no project is built twice. Projects watched by a
`--with-hook` finder are left to it. Which sys.path entries hold which editable projects is
learnt once and kept until `importlib.invalidate_caches()` or a change of `sys.path`.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import os
import sys
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Iterator, Sequence

from maturin_import_hook import _meta_path
from maturin_import_hook._logging import logger
from maturin_import_hook.error import ImportHookError, MaturinError

if TYPE_CHECKING:
    from maturin_import_hook.settings import MaturinSettings

# `install()` is on the start-up path of every program that uses it: what only a build, an
# override or the first scan of sys.path needs is imported there (urllib.request alone costs
# more than all of this module).

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
    """Lists a project's source files and installed files. A searcher given to the importer
    replaces the recorded build inputs: the project is rebuilt when one of the sources is newer
    than the oldest installed file."""

    @abstractmethod
    def get_source_paths(
        self, project_dir: Path, all_path_dependencies: list[Path], installed_package_root: Path
    ) -> Iterator[Path]:
        """The source files of the project and its path dependencies."""

    @abstractmethod
    def get_installation_paths(self, installed_package_root: Path) -> Iterator[Path]:
        """The installed files of the project."""


class DefaultProjectFileSearcher(ProjectFileSearcher):
    """Walks the project directory, as PyPI maturin-import-hook does. Not used unless passed as
    `file_searcher`: by default the importer checks the files the last build actually read."""

    DEFAULT_SOURCE_EXCLUDED_DIR_NAMES: ClassVar[set[str]] = {
        ".cache", ".env", ".git", ".idea", ".ipynb_checkpoints", ".mypy_cache", ".nox", ".pyre",
        ".pytest_cache", ".ropeproject", ".spyderproject", ".spyproject", ".tox", ".venv", ".vscode",
        ".yarn", "__pycache__", "dist", "env", "node_modules", "target", "venv",
    }  # fmt: skip
    DEFAULT_SOURCE_EXCLUDED_DIR_MARKERS: ClassVar[set[str]] = {"CACHEDIR.TAG", ".maturin_hook_ignore"}
    DEFAULT_SOURCE_EXCLUDED_FILE_EXTENSIONS: ClassVar[set[str]] = {".so", ".py", ".pyc"}

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
        self, project_dir: Path, all_path_dependencies: list[Path], installed_package_root: Path
    ) -> Iterator[Path]:
        ignore_dirs = {installed_package_root} if installed_package_root.is_dir() else set()
        for root in [project_dir, *all_path_dependencies]:
            files = self.get_files_in_dir(
                root, ignore_dirs, self._dir_names, self._dir_markers, self._extensions
            )
            yield from (path for path in files if path != installed_package_root)

    def get_installation_paths(self, installed_package_root: Path) -> Iterator[Path]:
        if installed_package_root.is_dir():
            yield from self.get_files_in_dir(installed_package_root, set(), {"__pycache__"}, set(), {".pyc"})
        elif installed_package_root.is_file():
            yield installed_package_root

    def get_files_in_dir(
        self,
        root_path: Path,
        ignore_dirs: set[Path],
        excluded_dir_names: set[str],
        excluded_dir_markers: set[str],
        excluded_file_extensions: set[str],
    ) -> Iterator[Path]:
        if root_path.name in excluded_dir_names:
            return
        if not root_path.exists():
            raise FileNotFoundError(root_path)
        for dirpath, dirnames, filenames in os.walk(root_path, topdown=True):
            current = Path(dirpath)
            if current in ignore_dirs or any(name in excluded_dir_markers for name in dirnames):
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
        # import name -> project directory, for the sys.path it was learnt from
        self._projects: dict[str, Path] | None = None
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

        if fullname in _finder._watched:
            return None  # the `develop --with-hook` finder owns it
        reloading = fullname in sys.modules
        if reloading and not self._enable_reloading:
            return None
        project_dir = self._editable_projects().get(fullname.lower())
        if project_dir is None:
            return None
        logger.debug('found project "%s" at %s', fullname, project_dir)
        started = time.perf_counter()
        action = self._rebuild(fullname, project_dir)
        if action not in ("up-to-date",):
            logger.info('rebuilt and loaded package "%s" in %.3fs', fullname, time.perf_counter() - started)
            importlib.invalidate_caches()
        else:
            logger.debug('"%s" is up to date (%.3f ms)', fullname, (time.perf_counter() - started) * 1000)
        if reloading:
            from maturin_import_hook import _reload

            return _reload.reload_spec(fullname)
        return None

    def _rebuild(self, name: str, project_dir: Path) -> str:
        settings = self.get_settings(name, project_dir)
        args = settings.to_args("develop")
        manifest = _manifest_of(project_dir)
        if manifest is None:
            raise ImportHookError(f"cannot find the Cargo.toml of the project at {project_dir}")
        if type(self).find_maturin is not MaturinProjectImporter.find_maturin:
            return self._rebuild_with_binary(name, manifest, args)
        from maturin_import_hook import _native

        sys.stdout.flush()
        sys.stderr.flush()
        try:
            action, reason = _native.develop_project(
                str(manifest),
                args,
                sys.prefix,
                self._lock_timeout_seconds,
                self._show_warnings,
                self._force_rebuild,
            )
        except _native.DevelopFailed as error:
            from maturin_import_hook.error import BuildError

            raise BuildError(name, error.args[0], error.args[1], name=name) from None
        except TimeoutError as error:
            raise ImportHookError(str(error), name=name) from None
        if reason is not None:
            logger.debug('"%s" was built: %s', name, reason)
        return action

    def _rebuild_with_binary(self, name: str, manifest: Path, args: list[str]) -> str:
        import subprocess

        command = [str(self.find_maturin()), "develop", "--manifest-path", str(manifest), *args]
        logger.info('building "%s"', name)
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if result.returncode != 0:
            logger.error("command %s returned non-zero exit status: %d", command, result.returncode)
            logger.error("maturin output:\n%s", result.stdout)
            raise MaturinError("Failed to build package with maturin")
        if self._show_warnings and "warning" in result.stdout:
            logger.warning('build of "%s" succeeded with warnings:\n%s', name, result.stdout)
        return "installed"

    def _editable_projects(self) -> dict[str, Path]:
        if self._projects is None or self._projects_path != sys.path:
            self._projects_path = list(sys.path)
            # the scan imports json and urllib.parse, which comes back here: those imports
            # must see an (empty) index instead of starting another scan
            self._projects = {}
            self._projects = _find_editable_projects(self._projects_path)
        return self._projects


def _find_editable_projects(search_path: Sequence[str]) -> dict[str, Path]:
    """Import name -> project directory of every editable maturin project installed on
    `search_path` (its dist-info's `direct_url.json` points at a project directory)."""
    projects: dict[str, Path] = {}
    for entry in search_path:
        with contextlib.suppress(OSError):
            for name in os.listdir(entry or "."):
                if not name.endswith(".dist-info"):
                    continue
                project_dir = _editable_project_dir(Path(entry or ".") / name)
                if project_dir is not None and _manifest_of(project_dir) is not None:
                    import_name = name.split("-", 1)[0].lower()
                    projects.setdefault(import_name, project_dir)
    return projects


def _editable_project_dir(dist_info: Path) -> Path | None:
    import json
    from urllib.parse import unquote, urlparse

    try:
        direct_url = json.loads((dist_info / "direct_url.json").read_text())
    except (OSError, ValueError):
        return None
    url = direct_url.get("url", "")
    if not direct_url.get("dir_info", {}).get("editable", False) or not url.startswith("file://"):
        return None
    path = unquote(urlparse(url).path)
    if os.name == "nt":  # file:///C:/dir -> C:\\dir (nturl2path is what urllib.request uses)
        import nturl2path

        path = nturl2path.url2pathname(path)
    return Path(os.path.normpath(path))


def _manifest_of(project_dir: Path) -> Path | None:
    if not (project_dir / "pyproject.toml").is_file():
        return None
    for candidate in (project_dir / "Cargo.toml", project_dir / "rust" / "Cargo.toml"):
        if candidate.is_file():
            return candidate
    return None


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
