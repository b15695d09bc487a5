"""The `maturin_import_hook` logger.

As in the PyPI package: on import, the logger gets its own handler that writes to stderr, so that
INFO messages (`building "my_project"`) are visible without any logging configuration, and it does
not propagate to the root logger (nothing is reported twice). INFO records are printed as the bare
message, other levels as `maturin_import_hook [LEVEL] message`. `reset_logger()` removes that
configuration, for programs that configure logging themselves. Nothing is ever written to stdout.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

__all__ = ["logger", "reset_logger"]

logger = logging.getLogger("maturin_import_hook")

_INFO_FORMAT = "%(message)s"
_OTHER_FORMAT = "%(name)s [%(levelname)s] %(message)s"
# marks our handler, so that importing this module again (importlib.reload) adds no second one
_HANDLER_MARKER = "_maturin_import_hook_handler"


class _LevelDependentFormatter(logging.Formatter):
    """Formats INFO records as the bare message and records of other levels with name and level."""

    def __init__(self) -> None:
        super().__init__(_OTHER_FORMAT)
        self._info_formatter = logging.Formatter(_INFO_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        if record.levelno == logging.INFO:
            return self._info_formatter.format(record)
        return super().format(record)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a record is emitted (as logging's last resort
    handler does), so redirecting or capturing stderr after import also captures our messages."""

    def __init__(self, level: int = logging.NOTSET) -> None:
        logging.Handler.__init__(self, level)
        self._stream: TextIO | None = None

    @property
    def stream(self) -> TextIO | None:
        return self._stream if self._stream is not None else sys.stderr

    @stream.setter
    def stream(self, value: TextIO | None) -> None:
        self._stream = value

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is None:  # pythonw and daemons may have no stderr at all
            return
        super().emit(record)


def writes_to_stderr() -> bool:
    """Whether the logger shows records through its own handler, on `sys.stderr` (not after
    `reset_logger()`, when the program's configuration decides where they go)."""
    return bool(_our_handlers())


def _our_handlers() -> list[logging.Handler]:
    return [handler for handler in logger.handlers if getattr(handler, _HANDLER_MARKER, False)]


def _configure_logger() -> None:
    """Shows INFO and above on stderr and stops propagation (done when this module is imported).

    The PyPI package does this when the package is imported; ours imports this module only when
    it is first needed (so that `import maturin_import_hook` stays cheap), which may be after the
    program set the logger's level: that level is kept, as it would be after upstream's import."""
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    if not _our_handlers():
        handler = _StderrHandler(logging.INFO)
        handler.setFormatter(_LevelDependentFormatter())
        setattr(handler, _HANDLER_MARKER, True)
        logger.addHandler(handler)
    logger.propagate = False


def reset_logger() -> None:
    """Removes the import hook's own logging configuration.

    The `maturin_import_hook` logger then has no handler of ours, level NOTSET and propagates its
    records to the root logger, so that they are handled like those of any other library (and
    are shown only as the program's logging configuration says)."""
    logger.propagate = True
    logger.setLevel(logging.NOTSET)
    for handler in _our_handlers():
        logger.removeHandler(handler)


_configure_logger()
