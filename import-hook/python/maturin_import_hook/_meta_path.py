"""Putting an importer at the front of `sys.meta_path` and taking it away, as the
`install()`/`uninstall()`/`is_installed()` of both importer modules do."""

from __future__ import annotations

import contextlib
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.abc import MetaPathFinder


def remove(finder: MetaPathFinder | None) -> None:
    if finder is not None:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(finder)


def replace(old: MetaPathFinder | None, new: MetaPathFinder) -> None:
    """Removes `old` (an earlier install) and puts `new` first."""
    remove(old)
    sys.meta_path.insert(0, new)


def is_installed(finder: MetaPathFinder | None) -> bool:
    return finder is not None and finder in sys.meta_path
