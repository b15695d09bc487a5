"""The runtime of maturin-hook: rebuilds maturin projects when they are imported.

A drop-in replacement of PyPI maturin-import-hook 0.3.0 (`install()`, `uninstall()`,
`reset_logger()`, `project_importer`, `rust_file_importer`, `settings`, `error`), and the runtime of
`maturin develop --with-hook`. Importing this package is cheap (the `.pth` files of
`--with-hook` import `maturin_import_hook._finder` at every interpreter start-up): nothing is
imported here until a function needs it.

PYTEST_DONT_REWRITE: the package holds a pytest plugin (`_pytest_plugin`) and is imported at
start-up by the `.pth` finders; this keeps pytest from warning that it cannot rewrite the asserts
of a package it did not import (there are none to rewrite).
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Optional

    from maturin_import_hook._versions import Versions
    from maturin_import_hook.project_importer import ProjectFileSearcher
    from maturin_import_hook.settings import MaturinSettings

__all__ = ["Versions", "install", "reset_logger", "uninstall", "versions"]


def install(
    *,
    enable_project_importer: bool = True,
    enable_rs_file_importer: bool = True,
    enable_reloading: bool = True,
    settings: "Optional[MaturinSettings]" = None,
    build_dir: "Optional[Path]" = None,
    force_rebuild: bool = False,
    lock_timeout_seconds: "Optional[float]" = 120,
    show_warnings: bool = True,
    file_searcher: "Optional[ProjectFileSearcher]" = None,
    enable_automatic_installation: bool = False,
) -> None:
    """Rebuilds editable maturin projects when they are imported (see `project_importer`), and
    builds standalone `.rs` files imported as modules (see `rust_file_importer`).
    `MATURIN_IMPORT_HOOK_ENABLED=0` makes this a no-op."""
    import os

    from maturin_import_hook._logging import logger

    if os.environ.get("MATURIN_IMPORT_HOOK_ENABLED") == "0":
        logger.info("maturin import hook disabled by environment variable")
        return
    if enable_rs_file_importer:
        from maturin_import_hook import rust_file_importer

        rust_file_importer.install(
            settings=settings,
            build_dir=build_dir,
            enable_reloading=enable_reloading,
            force_rebuild=force_rebuild,
            lock_timeout_seconds=lock_timeout_seconds,
            show_warnings=show_warnings,
        )
    if enable_project_importer:
        from maturin_import_hook import project_importer

        project_importer.install(
            settings=settings,
            build_dir=build_dir,
            enable_reloading=enable_reloading,
            force_rebuild=force_rebuild,
            lock_timeout_seconds=lock_timeout_seconds,
            show_warnings=show_warnings,
            file_searcher=file_searcher,
            enable_automatic_installation=enable_automatic_installation,
        )


def uninstall() -> None:
    """Removes what `install()` installed."""
    from maturin_import_hook import project_importer, rust_file_importer

    project_importer.uninstall()
    rust_file_importer.uninstall()


def reset_logger() -> None:
    """Gives the `maturin_import_hook` logger back to the program's logging configuration."""
    from maturin_import_hook._logging import reset_logger

    reset_logger()


def versions() -> "Versions":
    """The versions of the native library this runtime is linked with."""
    from maturin_import_hook._versions import versions

    return versions()


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext maturin_import_hook`: before each cell, rebuilds and reloads the hooked projects
    whose modules the kernel imported when a Rust input changed; adds the `%%rust` cell magic."""
    from maturin_import_hook import _ipython

    _ipython.load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    """`%unload_ext maturin_import_hook`: stops the checks before each cell."""
    from maturin_import_hook import _ipython

    _ipython.unload(ipython)


def __getattr__(name: str) -> object:
    if name == "Versions":
        from maturin_import_hook._versions import Versions

        return Versions
    if name in ("project_importer", "rust_file_importer", "settings", "error"):
        import importlib

        return importlib.import_module(f"maturin_import_hook.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
