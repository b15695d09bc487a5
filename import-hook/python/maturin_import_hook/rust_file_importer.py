"""The `.rs` file importer of `maturin_import_hook.install()`: `import my_script` builds and loads
a standalone `my_script.rs` (defining the pyo3 module `my_script`) found on `sys.path`, and
`import pkg.my_script` one next to the package's modules, as PyPI maturin-import-hook 0.3.0 does.

The build is our in-process `maturin develop` (through `maturin_import_hook._native`): each file
gets a generated project in the build cache whose library root is the file itself, so the
build's recorded inputs are what the compiler read (the file, its `mod` files, `include_str!`
files); an unchanged file costs a few stats, an edit replays cargo, and every generated project
shares one cargo target directory, so pyo3 is compiled once per environment, not once per file.
Which directories hold which `.rs` files is learnt by one listing per directory and kept until
`importlib.invalidate_caches()`.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Literal, Sequence

from maturin_import_hook import _meta_path, _pipeline
from maturin_import_hook._default_settings import importer_args
from maturin_import_hook._logging import logger
from maturin_import_hook.error import ImportHookError, MaturinError

if TYPE_CHECKING:
    from maturin_import_hook._hooked_projects import Project
    from maturin_import_hook._outcome import Outcome
    from maturin_import_hook.settings import MaturinSettings

# `install()` is on the start-up path of every program that uses it: what only a build or an
# override needs is imported there.

__all__ = ["IMPORTER", "MaturinRustFileImporter", "install", "is_installed", "uninstall"]


class _RustFileExtensionFileLoader(importlib.machinery.ExtensionFileLoader):
    """Loads the extension module built from a `.rs` file."""


class _Reporter(_pipeline.Reporter):
    """Reports the build of a `.rs` file, with upstream's record of a full build."""

    def __init__(self, name: str, show_warnings: bool, rs_file: str) -> None:
        super().__init__(name, show_warnings)
        self.rs_file = rs_file

    def building(self, project: str, reason: str, full: bool, output_log: str) -> None:
        super().building(project, reason, full, output_log)
        if full:
            logger.debug('creating project for "%s" and compiling', self.rs_file)


class MaturinRustFileImporter(importlib.abc.MetaPathFinder):
    """Builds and loads standalone `.rs` files imported as modules."""

    def __init__(
        self,
        *,
        settings: MaturinSettings | None = None,
        build_dir: Path | None = None,
        enable_reloading: bool = True,
        force_rebuild: bool = False,
        lock_timeout_seconds: float | None = 120,
        show_warnings: bool = True,
    ) -> None:
        self._settings = settings
        self._build_dir = build_dir
        self._enable_reloading = enable_reloading
        self._force_rebuild = force_rebuild
        self._lock_timeout_seconds = lock_timeout_seconds
        self._show_warnings = show_warnings
        self._maturin_path: Path | None = None
        # directory -> the module names of the `.rs` files in it
        self._rs_files: dict[str, frozenset[str]] = {}
        # module name -> build request of the `.rs` files this importer loaded (only files built
        # by the in-process pipeline, whose freshness `_fast` decides alone)
        self._loaded: dict[str, str] = {}

    def get_settings(self, module_path: str, source_path: Path) -> MaturinSettings:
        """The settings to build the file `source_path` (imported as `module_path`) with."""
        if self._settings is not None:
            return self._settings
        from maturin_import_hook.settings import MaturinSettings

        return MaturinSettings.default()

    def find_maturin(self) -> Path:
        """The maturin binary. Not called by default (builds run in-process); when a subclass
        overrides it, the binary it returns builds each file (`maturin build`), as upstream."""
        if self._maturin_path is None:
            import shutil

            found = shutil.which("maturin")
            if found is None:
                raise MaturinError("maturin not found")
            self._maturin_path = Path(found)
        return self._maturin_path

    def get_source_files(self, source_path: Path) -> Iterator[Path]:
        """The files a build of `source_path` depends on. By default only the file itself (the
        build also tracks the files the compiler read); when an override returns more, the
        module is rebuilt whenever one of them is newer than the built extension."""
        yield source_path

    def generate_project_for_single_rust_file(
        self, module_path: str, project_dir: Path, rust_file: Path, settings: MaturinSettings
    ) -> Path:
        """Makes the cargo project that builds `rust_file` as the module `module_path` in
        `project_dir` and returns its directory. The default writes a Cargo.toml whose library
        root is `rust_file` itself (with an empty feature for each of `settings.features`) and a
        pyproject.toml, each only when its content changes. An override is called only when a
        build is due, and the project it returns is built."""
        from maturin_import_hook import _native

        module_name = module_path.rpartition(".")[2]
        return Path(
            _native.generate_rs_project(
                str(rust_file), module_name, settings.features or [], str(project_dir)
            )
        )

    def invalidate_caches(self) -> None:
        self._rs_files.clear()

    def hooked_projects(self, imported_only: bool) -> list[Project]:
        """The `.rs` files this importer loaded (see `_hooked_projects`); with `imported_only`,
        none when reloading is off (a reload then leaves the module as it is)."""
        if imported_only and not self._enable_reloading:
            return []
        from maturin_import_hook import _hooked_projects

        return [
            _hooked_projects.Project(request, (name,), self._lock_timeout_seconds, self._show_warnings)
            for name, request in self._loaded.items()
            if not imported_only or name in sys.modules
        ]

    def build_module(self, fullname: str, rs_file: Path) -> tuple[str, Outcome | None]:
        """Makes the extension module of `rs_file`, imported as `fullname`, current; returns
        its path and what the pipeline did (`None`: it was up to date). What `%%rust` cells
        are built with."""
        return self._build(fullname, rs_file)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: object = None,
    ) -> importlib.machinery.ModuleSpec | None:
        module_name = fullname.rpartition(".")[2]
        rs_file = self._find_rs_file(module_name, sys.path if path is None else path)
        if rs_file is None:
            return None
        existing = sys.modules.get(fullname)
        if existing is not None and not self._enable_reloading:
            # a reload without rebuilding: the module as it is (an extension module cannot be
            # initialised again from the same file)
            spec = getattr(existing, "__spec__", None)
            if isinstance(getattr(spec, "loader", None), importlib.machinery.ExtensionFileLoader):
                return spec
            return None
        logger.debug('importing rust file "%s" as "%s"', rs_file, fullname)
        started = time.perf_counter()
        extension, outcome = self._build(fullname, Path(rs_file), record=True)
        _pipeline.log_outcome(fullname, "module", outcome, started, extension)
        if existing is not None:
            from maturin_import_hook import _reload

            return _reload.reload_spec(fullname)
        loader = _RustFileExtensionFileLoader(fullname, extension)
        return importlib.machinery.ModuleSpec(fullname, loader, origin=extension)

    def _find_rs_file(self, module_name: str, search_path: Sequence[str | bytes]) -> str | None:
        for entry in search_path:
            if isinstance(entry, bytes):
                entry = os.fsdecode(entry)
            if not isinstance(entry, str):
                continue
            if entry:
                directory = entry
            else:
                try:
                    directory = os.getcwd()
                except OSError:
                    continue
            names = self._rs_files.get(directory)
            if names is None:
                names = _rs_files_in(directory)
                self._rs_files[directory] = names
            if module_name in names:
                candidate = os.path.join(directory, module_name + ".rs")
                if os.path.isfile(candidate):
                    return candidate
        return None

    def _build(self, fullname: str, rs_file: Path, record: bool = False) -> tuple[str, Outcome | None]:
        """Makes the extension module of `rs_file` current; returns its path and what the
        pipeline did (`None`: it was up to date). `record`: the module is one the IPython
        extension and the pytest plugin check (see `_hooked_projects`)."""
        cls = type(self)
        # an override of find_maturin() asks for builds by that binary, as upstream runs them
        maturin = None if cls.find_maturin is MaturinRustFileImporter.find_maturin else self.find_maturin()
        command: Literal["develop", "build"] = "develop" if maturin is None else "build"
        args = importer_args(self, MaturinRustFileImporter, fullname, rs_file, command)
        custom_project = (
            cls.generate_project_for_single_rust_file
            is not MaturinRustFileImporter.generate_project_for_single_rust_file
        )
        custom_sources = cls.get_source_files is not MaturinRustFileImporter.get_source_files
        generate: Callable[[str], str] | None = None
        if custom_project or maturin is not None:

            def generate(project_dir: str) -> str:
                settings = self.get_settings(fullname, rs_file)
                project = self.generate_project_for_single_rust_file(
                    fullname, Path(project_dir), rs_file, settings
                )
                return str(project)

        mtime_rule = custom_project or custom_sources or maturin is not None
        from maturin_import_hook import _fast

        request = _fast.rs_file_request(
            os.path.realpath(rs_file),
            fullname.rpartition(".")[2],
            args,
            sys.executable,
            None if self._build_dir is None else str(self._build_dir),
        )
        if record and not mtime_rule:
            self._loaded[fullname] = request
        if not mtime_rule and not self._force_rebuild:
            extension = _fast.rs_file_extension_if_fresh(request, sys.prefix)
            if extension is not None:
                return extension, None

        def build(force: bool) -> Outcome:
            return _pipeline.bring_up_to_date(
                fullname,
                request,
                lock_timeout_seconds=self._lock_timeout_seconds,
                force=force,
                reporter=_Reporter(fullname, self._show_warnings, str(rs_file)),
                generate=generate,
                maturin=None if maturin is None else str(maturin),
            )

        outcome = build(self._force_rebuild)
        # what the in-process build cannot see: files an override copies or reads, and every
        # source of a build by another binary
        if mtime_rule and not outcome.built and self._sources_newer(rs_file, _extension(outcome)):
            outcome = build(True)
        if outcome.built and outcome.reason is not None:
            logger.debug('"%s" was built: %s', fullname, outcome.reason)
        return _extension(outcome), outcome

    def _sources_newer(self, rs_file: Path, extension: str) -> bool:
        try:
            built = os.stat(extension).st_mtime
            sources = [os.stat(path).st_mtime for path in self.get_source_files(rs_file)]
        except OSError as error:
            raise ImportHookError(f"error reading source file mtimes: {error!r} ({error.filename})") from None
        if not sources:
            raise ImportHookError("no source files found")
        return max(sources) > built


def _extension(outcome: Outcome) -> str:
    if outcome.extension is None:
        raise ImportHookError(f"the build of a Rust file reported no extension module: {outcome!r}")
    return outcome.extension


def _rs_files_in(directory: str) -> frozenset[str]:
    """The module names of the `.rs` files in `directory` (nothing when it cannot be listed)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return frozenset()
    return frozenset(name[:-3] for name in names if name.endswith(".rs"))


IMPORTER: MaturinRustFileImporter | None = None


def install(
    *,
    settings: MaturinSettings | None = None,
    build_dir: Path | None = None,
    enable_reloading: bool = True,
    force_rebuild: bool = False,
    lock_timeout_seconds: float | None = 120,
    show_warnings: bool = True,
) -> MaturinRustFileImporter:
    """Installs the `.rs` file importer at the front of `sys.meta_path` (replacing an earlier
    one)."""
    global IMPORTER
    importer = MaturinRustFileImporter(
        settings=settings,
        build_dir=build_dir,
        enable_reloading=enable_reloading,
        force_rebuild=force_rebuild,
        lock_timeout_seconds=lock_timeout_seconds,
        show_warnings=show_warnings,
    )
    _meta_path.replace(IMPORTER, importer)
    IMPORTER = importer
    return importer


def uninstall() -> None:
    """Removes the `.rs` file importer from `sys.meta_path`."""
    global IMPORTER
    _meta_path.remove(IMPORTER)
    IMPORTER = None


def is_installed() -> bool:
    return _meta_path.is_installed(IMPORTER)
