"""What a watched import runs before the module loads: check the recorded build (a few stats,
in `_fast`), rebuild a Rust-only change by replaying cargo (also `_fast`), or run a full
develop in-process (`_native`, which links the maturin crate) when manifests or settings
changed. Every decision is in Rust; this module turns outcomes into log lines and errors.
"""

from __future__ import annotations

import os
import sys
import time

from maturin_import_hook import _fast

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from importlib.machinery import ModuleSpec
    from typing import Callable

LOGGER_NAME = "maturin_import_hook"


def find_spec(fullname: str, state_dir: str, config: str) -> ModuleSpec | None:
    rebuilt = ensure_built(fullname, state_dir, config)
    if fullname in sys.modules:
        from maturin_import_hook import _reload

        return _reload.reload_spec(fullname)
    if rebuilt:
        import importlib

        importlib.invalidate_caches()
    return None


def ensure_built(name: str, state_dir: str, config: str, lock_timeout_seconds: float | None = None) -> bool:
    """Makes the installed build of `name` match its sources; True when it rebuilt."""
    started = time.perf_counter()
    try:
        status, reason, _output = _fast.refresh(
            state_dir, lock_timeout_seconds, _on_wait, _on_rebuild(name), _show_output()
        )
    except _fast.CargoBuildFailed as error:
        _raise_build_error(name, "cargo failed", error.args[1])
    except TimeoutError as error:
        from maturin_import_hook.error import ImportHookError

        raise ImportHookError(str(error), name=name) from None
    except OSError as error:
        from maturin_import_hook.error import ImportHookError

        raise ImportHookError(f'cannot check the build of "{name}": {error}', name=name) from None
    if status == "fresh":
        _debug('"%s" is up to date (checked in %.3f ms)', name, (time.perf_counter() - started) * 1000)
        return False
    if status == "develop":
        _on_rebuild(name)(reason or "a full develop is needed")
        _develop(name, config)
    _log().info('rebuilt and loaded package "%s" in %.3fs', name, time.perf_counter() - started)
    return True


def _develop(name: str, config: str) -> None:
    from maturin_import_hook import _native

    # maturin prints progress on stdout; the native side points file descriptor 1 at stderr
    # for the build, so what Python buffered for stdout must go out first
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        _native.develop_hooked(config, _show_output())
    except _native.DevelopFailed as error:
        _raise_build_error(name, error.args[0], error.args[1])


def _show_output() -> bool:
    """cargo's progress and warnings go to stderr unless MATURIN_IMPORT_HOOK_SHOW_WARNINGS=0
    (the `show_warnings=False` of `install()`); errors always reach the BuildError."""
    return os.environ.get("MATURIN_IMPORT_HOOK_SHOW_WARNINGS") != "0"


def _raise_build_error(name: str, reason: str, diagnostics: str) -> None:
    from maturin_import_hook.error import BuildError

    raise BuildError(name, reason, diagnostics, name=name) from None


def _on_wait(lock_path: str) -> None:
    from maturin_import_hook._logging import log_waiting

    log_waiting(lock_path)


def _on_rebuild(name: str) -> Callable[[str], None]:
    # made for every import, called only before a build: logging is imported then
    def announce(reason: str) -> None:
        from maturin_import_hook._logging import announce_build

        announce_build(name)(reason)

    return announce


def _log() -> logging.Logger:
    from maturin_import_hook._logging import logger

    return logger


def _debug(message: str, *args: object) -> None:
    # The up-to-date path must stay well under a millisecond: importing logging costs more
    # than that, so DEBUG records are only made when the program already uses logging.
    logging = sys.modules.get("logging")
    if logging is not None:
        logger = logging.getLogger(LOGGER_NAME)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(message, *args)
