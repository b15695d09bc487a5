"""The runtime of maturin-hook: rebuilds maturin projects when they are imported.

Importing this package is cheap: the native module, which links the whole maturin build
library, is only loaded by the functions that need it.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Versions", "versions"]


class Versions(NamedTuple):
    maturin_hook: str
    """The version of this fork (its Rust library and this package)."""
    maturin: str
    """The version of the crates.io maturin crate the build machinery comes from."""


def versions() -> Versions:
    """The versions of the native library this runtime is linked with."""
    from maturin_import_hook import _native

    return Versions(*_native.versions())
