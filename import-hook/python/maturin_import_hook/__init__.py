"""The runtime of maturin-hook: rebuilds maturin projects when they are imported.

Importing this package is cheap (the `.pth` files of `maturin develop --with-hook` import
`maturin_import_hook._finder` at every interpreter start-up): nothing is imported here, and the
native modules are only loaded by the functions that need them.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from maturin_import_hook._versions import Versions

__all__ = ["Versions", "versions"]


def versions() -> Versions:
    """The versions of the native library this runtime is linked with."""
    from maturin_import_hook._versions import versions

    return versions()


def __getattr__(name: str) -> object:
    if name == "Versions":
        from maturin_import_hook._versions import Versions

        return Versions
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
