"""The pytest plugin of the import hook (entry point `pytest11`, name `maturin_import_hook`;
`pytest -p no:maturin_import_hook` turns it off).

In the process that controls the session, before collection and before pytest-xdist starts its
workers, it brings every stale hooked project of the environment up to date (see
`_hooked_projects`), with the build line and cargo's progress in pytest's terminal output.
The workers (and the tests' imports) then find everything fresh. A failed build ends the session
once, with the compiler's errors: one cargo attempt, not one per test module and per worker.
Costs a few dict lookups when the environment has no hooked project.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput"):
        return  # an xdist worker: its controller brought everything up to date
    if not any(hasattr(finder, "hooked_projects") for finder in sys.meta_path):
        return  # no hooked project in this environment (nor an install() in a conftest)
    from maturin_import_hook import _hooked_projects

    stale = [
        project for project in _hooked_projects.projects(False) if not _hooked_projects.is_fresh(project)
    ]
    if not stale:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
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
        pytest.exit(
            f'maturin_import_hook: the build of "{what}" failed before collection (the errors are '
            "above): fix them and run pytest again (`-p no:maturin_import_hook` skips this step)",
            returncode=pytest.ExitCode.INTERRUPTED,
        )
    if outcome.built:
        _write_line(reporter, f"maturin_import_hook: rebuilt {names} in {time.perf_counter() - started:.2f}s")


def _write_line(reporter: Any, line: str) -> None:
    if reporter is not None:
        reporter.write_line(line)
    else:
        sys.stderr.write(line + "\n")


def _write_section(reporter: Any, title: str, text: str) -> None:
    if reporter is not None:
        reporter.write_sep("=", title, red=True, bold=True)
        reporter.write_line(text)
    else:
        sys.stderr.write(f"{title}\n{text}\n")


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
