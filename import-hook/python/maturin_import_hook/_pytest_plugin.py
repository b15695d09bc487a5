"""The pytest plugin of the import hook (entry point `pytest11`, name `maturin_import_hook`;
`pytest -p no:maturin_import_hook` turns it off).

In the process that controls the session, before any conftest.py is imported (a conftest may
import the package) and before pytest-xdist starts its workers, it brings every stale hooked
project of the environment up to date (see `_hooked_projects`), with the build line and cargo's
progress in pytest's terminal output. The projects of an `install()` in a conftest.py are
brought up to date at session start. The workers (and the tests' imports) then find everything
fresh. A failed build ends the session with the compiler's errors and one line of advice, like
pytest's own usage errors: one cargo attempt, not one per test module and per worker.
Costs a few dict lookups when the environment has no hooked project.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from typing import Any

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # (also in xdist's workers, which cannot be told apart yet: their controller brought
    # everything up to date before it started them, so they only check)
    # pytest captures the output of conftest loading and shows it only when that fails
    capture = early_config.pluginmanager.getplugin("capturemanager")
    shown = capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext()
    with shown:
        _bring_stale_projects_up_to_date(reporter=None)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput"):
        return
    _bring_stale_projects_up_to_date(session.config.pluginmanager.get_plugin("terminalreporter"))


def _bring_stale_projects_up_to_date(reporter: Any) -> None:
    if not any(hasattr(finder, "hooked_projects") for finder in sys.meta_path):
        return  # no hooked project in this environment (nor an install() in a conftest yet)
    from maturin_import_hook import _hooked_projects

    stale = [
        project for project in _hooked_projects.projects(False) if not _hooked_projects.is_fresh(project)
    ]
    if not stale:
        return
    with _logger_to_terminal(reporter):
        for project in stale:
            _bring_up_to_date(project, reporter)


def _bring_up_to_date(project: Any, reporter: Any) -> None:
    from maturin_import_hook import _hooked_projects
    from maturin_import_hook.error import BuildError, ImportHookError

    names = ", ".join(project.names)
    started = time.perf_counter()
    try:
        outcome = _hooked_projects.bring_up_to_date(project)
    except ImportHookError as failure:
        what = failure.project if isinstance(failure, BuildError) else names
        _write_section(reporter, f'maturin_import_hook: the build of "{what}" failed', str(failure))
        # printed once by pytest, which exits with its usage error status (4), as it does when a
        # conftest.py fails to import
        raise pytest.UsageError(
            f'maturin_import_hook: the build of "{what}" failed before collection (the errors are '
            "above): fix them and run pytest again (`-p no:maturin_import_hook` skips this step)"
        ) from None
    seconds = time.perf_counter() - started
    if outcome.built:
        _write_line(reporter, f"maturin_import_hook: rebuilt {names} in {seconds:.2f}s")
    elif outcome.source is not None:
        store = f"from the store ({outcome.source})"
        _write_line(reporter, f"maturin_import_hook: restored {names} {store} in {seconds:.2f}s")


def _write_line(reporter: Any, line: str) -> None:
    if reporter is not None:
        reporter.write_line(line)
    else:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def _write_section(reporter: Any, title: str, text: str) -> None:
    if reporter is not None:
        reporter.write_sep("=", title, red=True, bold=True)
        reporter.write_line(text)
    else:
        sys.stdout.write(f" {title} ".center(80, "=") + f"\n{text}\n")
        sys.stdout.flush()


class _logger_to_terminal:
    """For the builds: the `maturin_import_hook` logger writes its records (the build line and
    cargo's progress) through pytest's terminal reporter, whatever the logger did before."""

    def __init__(self, reporter: Any) -> None:
        self.reporter = reporter

    def __enter__(self) -> None:

        from maturin_import_hook._logging import _LevelDependentFormatter, logger

        reporter = self.reporter

        class TerminalHandler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                _write_line(reporter, self.format(record))

        handler = TerminalHandler(logging.INFO)
        handler.setFormatter(_LevelDependentFormatter())
        self.saved: tuple[logging.Logger, list[logging.Handler], bool, int] = (
            logger,
            list(logger.handlers),
            logger.propagate,
            logger.level,
        )
        logger.handlers = [handler]
        logger.propagate = False
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)

    def __exit__(self, *exc_info: object) -> None:
        logger, handlers, propagate, level = self.saved
        logger.handlers = handlers
        logger.propagate = propagate
        logger.setLevel(level)
