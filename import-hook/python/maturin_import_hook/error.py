"""The exceptions of the import hook: all are ImportError, so `except ImportError` catches them."""

from __future__ import annotations

from typing import Any

__all__ = ["BuildError", "ImportHookError", "MaturinError"]


class ImportHookError(ImportError):
    """An error raised by the import hook.

    Every error the import hook raises is an instance of this class, so that it is easy to catch,
    for example to fall back to something else when a project cannot be built:

        try:
            import my_maturin_project as runner
        except ImportHookError:  # perhaps there is no Rust toolchain here
            import pure_python_fallback as runner
    """


class MaturinError(ImportHookError):
    """An error from the import hook involving maturin (finding it, or building with it)."""


class BuildError(MaturinError):
    """A rebuild of a project failed while it was being imported.

    Attributes:
        project: the name of the package (or module) that was being built.
        reason: what failed, in one line (for example "cargo failed (exit status: 101)").
        diagnostics: the compiler's error output (cargo's and rustc's messages), possibly empty.

    The message (`str(error)`) starts as upstream's does (`Failed to build package with maturin`),
    names the project and the reason, and carries the diagnostics, so the compiler's errors appear
    in the traceback of the failed import (and in a notebook's cell output, or a log). The previously
    installed build, if any, is left in place.
    """

    project: str
    reason: str
    diagnostics: str

    def __init__(
        self,
        project: str,
        reason: str,
        diagnostics: str = "",
        *,
        name: str | None = None,
        path: str | None = None,
    ) -> None:
        message = f'Failed to build package with maturin: "{project}": {reason}'
        if diagnostics.strip():
            message += "\n" + diagnostics.rstrip()
        super().__init__(message, name=name, path=path)
        self.project = project
        self.reason = reason
        self.diagnostics = diagnostics

    def __reduce__(self) -> tuple[Any, ...]:
        # the default would call BuildError(message) when unpickling, which has too few arguments
        state = dict(self.__dict__)
        state.update(name=self.name, path=self.path)
        return (type(self), (self.project, self.reason, self.diagnostics), state)
