"""The one place a Python front end runs the pipeline of the Rust library for a build request:
the import's half in `_fast` (decide; up to date, take over an editable install's build, or
replay cargo), then, when that hands over, the full develop in `_native`. Every importer, the
IPython extension and the pytest plugin call `bring_up_to_date`; none decides anything itself.

A build's events reach the `maturin_import_hook` logger through `Reporter`: `building "X":
<reason>`, waits, maturin's steps and cargo's progress at INFO (shown by default, silent after
`reset_logger()` with logging left unconfigured, as upstream's builds are); cargo's diagnostics
are kept: a build that succeeds with warnings logs them once at WARNING (when warnings are
shown), a failed one raises `BuildError` carrying them. Either shows the first
`DIAGNOSTIC_LINES_SHOWN` and the last `DIAGNOSTIC_TAIL_SHOWN` lines of them; all of them are
written to the build's output log, whose path the message gives.
"""

from __future__ import annotations

import io
import os
import sys
import time

from maturin_import_hook import _fast

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from typing import Any, Callable

    from maturin_import_hook._outcome import Outcome
    from maturin_import_hook.error import BuildError, ImportHookError

LOGGER_NAME = "maturin_import_hook"
LOCK_TIMEOUT_ENV = "MATURIN_IMPORT_HOOK_LOCK_TIMEOUT"
"""Seconds an import waits for another process's build of the same project (`none`: no
limit); when set, it is the timeout of every front end, `install()`'s argument included."""
DIAGNOSTIC_LINES_SHOWN = 200
DIAGNOSTIC_TAIL_SHOWN = 3


class Reporter:
    """Receives the events of one build from the Rust library (see `PyReporter` there)."""

    def __init__(self, name: str, show_warnings: bool) -> None:
        self.name = name
        self.show_warnings = show_warnings
        self.diagnostics: list[str] = []
        self.output_log: str | None = None
        self.built = False
        self.colour = _colour_wanted()
        """Whether cargo colours its output when the settings leave it to it (no `--color`)."""

    def waiting_for_lock(self, lock_path: str, holder: str | None, waited: float) -> None:
        """Another process builds the project: when the wait starts, then every 10 s."""
        held_by = f": {holder}" if holder is not None else ""
        if waited == 0:
            _logger().info("waiting on lock %s%s", lock_path, held_by)
        else:
            _logger().info('still waiting for another build of "%s" (%.0f s)%s', self.name, waited, held_by)

    def building(self, project: str, reason: str, full: bool, output_log: str) -> None:
        self.built = True
        self.output_log = output_log
        # upstream's two records for this event, with the reason added to the visible one
        _logger().info('building "%s": %s', self.name, reason)
        _logger().debug('package "%s" will be rebuilt because: %s', self.name, reason)

    def step(self, message: str) -> None:
        _logger().info("%s", message)

    def warning(self, message: str) -> None:
        _logger().warning("%s", message)

    def output(self, line: str, diagnostic: bool) -> None:
        if diagnostic:
            self.diagnostics.append(line)
        elif self.show_warnings:
            _logger().info("%s", line)
        else:
            _logger().debug("%s", line)

    def report_warnings(self) -> None:
        """After a successful build: its warnings, once."""
        text = self.shown_diagnostics().strip()
        if self.show_warnings and text:
            _logger().warning('build of "%s" succeeded with warnings:\n%s', self.name, text)

    def build_failed(self, reason: str) -> BuildError:
        """The exception a failed build raises (called by the Rust library)."""
        from maturin_import_hook.error import BuildError

        return BuildError(self.name, reason, self.shown_diagnostics(), name=self.name)

    def shown_diagnostics(self) -> str:
        """The diagnostics, or when they are long, their first lines, where all of them are
        (written to the build's output log now), and their last lines (cargo's summary:
        `generated 3000 warnings`, `could not compile`)."""
        lines = self.diagnostics
        if len(lines) <= DIAGNOSTIC_LINES_SHOWN + DIAGNOSTIC_TAIL_SHOWN:
            return "\n".join(lines)
        hidden = len(lines) - DIAGNOSTIC_LINES_SHOWN - DIAGNOSTIC_TAIL_SHOWN
        rest = f"... {hidden} more lines"
        try:
            if self.output_log is None:
                raise OSError("no build started")
            with open(self.output_log, "w", encoding="utf-8", errors="replace") as log:
                log.write("\n".join(lines) + "\n")
            rest += f": all of them are in {self.output_log}"
        except OSError as error:
            rest += f" (not kept: {error})"
        tail = lines[-DIAGNOSTIC_TAIL_SHOWN:]
        return "\n".join([*lines[:DIAGNOSTIC_LINES_SHOWN], rest, *tail])

    def lock_timed_out(self, message: str) -> ImportHookError:
        """The exception of a wait for another build that took too long (called by the Rust
        library)."""
        from maturin_import_hook.error import ImportHookError

        hint = (
            f" If it is still compiling and needs more time, set {LOCK_TIMEOUT_ENV} to more "
            "seconds (`none`: wait as long as it takes), or, with maturin_import_hook.install(), "
            "pass lock_timeout_seconds (None: no limit)."
        )
        return ImportHookError(message + hint, name=self.name)


def _colour_wanted() -> bool:
    """Colour only where the logger's records are shown on a terminal: the import hook's own
    handler writes to `sys.stderr`; `NO_COLOR` turns colour off, `CLICOLOR_FORCE` on."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("CLICOLOR_FORCE", "0") != "0":
        return True
    from maturin_import_hook._logging import writes_to_stderr

    try:
        return writes_to_stderr() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def bring_up_to_date(
    name: str,
    request: str,
    *,
    lock_timeout_seconds: float | None = 120,
    force: bool = False,
    show_warnings: bool = True,
    reporter: Reporter | None = None,
    generate: Callable[[str], str] | None = None,
    maturin: str | None = None,
) -> Outcome:
    """Brings the build of `request` (the JSON of a build request of the Rust library) up to date
    for the import of `name`. `generate` and `maturin` are the overrides of the `.rs` file
    importer (see `_native.build`). A failed build raises `BuildError`, a wait that took longer
    than `lock_timeout_seconds` `ImportHookError`; the installed build stays as it was."""
    from maturin_import_hook._outcome import Action
    from maturin_import_hook.error import BuildError

    if reporter is None:
        reporter = Reporter(name, show_warnings)
    lock_timeout_seconds = lock_timeout(lock_timeout_seconds)
    try:
        outcome = _fast.run(request, sys.prefix, reporter, lock_timeout_seconds, force)
        if outcome.action is Action.FULL_BUILD_NEEDED:
            from maturin_import_hook import _native

            with program_streams_kept():
                outcome = _native.build(
                    request, sys.prefix, reporter, lock_timeout_seconds, force, generate, maturin
                )
    except BuildError as failure:
        # for `maturin import-hook status`, until a build succeeds
        _fast.record_failure(request, sys.prefix, failure.reason, failure.diagnostics)
        raise
    if outcome.built:
        reporter.report_warnings()
    return outcome


def lock_timeout(given: float | None) -> float | None:
    """The timeout of a wait for another build: `LOCK_TIMEOUT_ENV` when it is set (a warning
    when it is not a number), else `given`."""
    value = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    if not value:
        return given
    if value.lower() == "none":
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        _logger().warning(
            "%s=%r is not a number of seconds nor `none`: waiting %s",
            LOCK_TIMEOUT_ENV,
            value,
            "without a limit" if given is None else f"{given:g} s",
        )
        return given


def log_outcome(
    name: str, kind: str, outcome: Outcome | None, started: float, origin: str | None = None
) -> None:
    """The line that ends an import (`kind` is "package" or "module"; `outcome` None: up to date
    by the check that needs no pipeline): only the process that built says it rebuilt; a
    process that waited says another one did."""
    elapsed = time.perf_counter() - started
    if outcome is not None and outcome.built:
        _logger().info('rebuilt and loaded %s "%s" in %.3fs', kind, name, elapsed)
    elif outcome is not None and outcome.source is not None:
        _logger().info(
            'restored %s "%s" from the store (%s: %s) in %.3fs',
            kind,
            name,
            outcome.reason,
            outcome.source,
            elapsed,
        )
    elif outcome is not None and outcome.changed:  # rebuilt, by another process
        _logger().info('%s "%s" was rebuilt by another process meanwhile; loaded it', kind, name)
    else:
        debug('%s up to date: "%s" ("%s") in %.3f ms', kind, name, origin or "?", elapsed * 1000)


_gone_warned: set[str] = set()


def warn_sources_gone(name: str, outcome: Outcome) -> None:
    """The project directory is gone: the last build imports, with one line saying so."""
    if name not in _gone_warned:
        _gone_warned.add(name)
        _logger().warning(
            'the sources of "%s" are gone (%s): importing its last build, which will not be rebuilt',
            name,
            outcome.reason,
        )


def make_importable(name: str) -> None:
    """A full build may change what is on `sys.path` (a project that became a mixed one, a moved
    Python source directory, a first install), and Python reads `.pth` files only at start-up:
    when `name` cannot be found after a build, read the environment's `.pth` files again."""
    import importlib.machinery

    if importlib.machinery.PathFinder.find_spec(name) is None:
        import site

        debug('"%s" is not on sys.path after its build: reading the .pth files again', name)
        site.addsitepackages(None)  # type: ignore[arg-type]


class program_streams_kept:
    """For the duration of a full build, during which file descriptors 1 and 2 point at a file
    of the build (the maturin crate prints on them; see `build_output` in `_native`): what the
    program writes through Python keeps going where it went, as it is written. `sys.stdout` and
    `sys.stderr`, and the logging handlers that write to them (a `basicConfig()` handler holds
    the stream it was given), write to copies of the original descriptors meanwhile.

    Writes that still reach descriptors 1 and 2 (C code, a handler writing to a stream it finds
    elsewhere) are not lost: they are handed to the import hook's logger after the build."""

    def __enter__(self) -> program_streams_kept:
        self._saved: list[tuple[str, object]] = []
        self._handlers: list[tuple[logging.StreamHandler[Any], Any, Any]] = []
        copies: dict[int, Any] = {}
        for attribute, fd in (("stdout", 1), ("stderr", 2)):
            stream = getattr(sys, attribute)
            try:
                if stream is None or stream.fileno() != fd:
                    continue  # not the process's descriptor (a notebook, pytest's capture)
                stream.flush()
                copy = io.TextIOWrapper(
                    io.FileIO(os.dup(fd), "w"),
                    encoding=stream.encoding,
                    errors=stream.errors,
                    line_buffering=True,
                )
            except (AttributeError, OSError, ValueError):
                continue
            self._saved.append((attribute, stream))
            copies[id(stream)] = copy
            original = getattr(sys, f"__{attribute}__", None)
            if original is not None and original is not stream:
                copies.setdefault(id(original), copy)
            setattr(sys, attribute, copy)
        if copies:
            self._point_handlers_at(copies)
        return self

    def _point_handlers_at(self, copies: dict[int, Any]) -> None:
        logging = sys.modules.get("logging")
        if logging is None:
            return  # no handler exists
        for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
            for handler in getattr(logger, "handlers", ()):
                if isinstance(handler, logging.StreamHandler):
                    stream = handler.stream
                    copy = copies.get(id(stream))
                    if copy is not None:
                        handler.setStream(copy)
                        self._handlers.append((handler, stream, copy))

    def __exit__(self, *exc_info: object) -> None:
        for handler, stream, copy in self._handlers:
            if handler.stream is copy:  # unless the program changed it meanwhile
                handler.setStream(stream)
        for attribute, stream in self._saved:
            copy = getattr(sys, attribute)
            setattr(sys, attribute, stream)
            try:
                copy.close()
            except OSError:
                pass


def _logger() -> logging.Logger:
    from maturin_import_hook._logging import logger

    return logger


def debug(message: str, *args: object) -> None:
    # The up-to-date path must stay well under a millisecond: importing logging costs more
    # than that, so DEBUG records are only made when the program already uses logging.
    logging = sys.modules.get("logging")
    if logging is not None:
        logger = logging.getLogger(LOGGER_NAME)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(message, *args)
