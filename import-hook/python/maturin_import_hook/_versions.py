from __future__ import annotations

from typing import NamedTuple


class Versions(NamedTuple):
    maturin_hook: str
    """The version of this fork (its Rust library and this package)."""
    maturin: str
    """The version of the crates.io maturin crate the build machinery comes from."""


def versions() -> Versions:
    from maturin_import_hook import _native

    return Versions(*_native.versions())
