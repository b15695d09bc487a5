"""The maturin flags the import hook builds with.

`MaturinSettings` is the same dataclass as in the `maturin-import-hook` package on PyPI (0.3.x),
with two more fields for flags of maturin 1.16: `group` (`develop --group`) and `generate_stubs`
(`--generate-stubs`). `to_args()` spells the flags exactly as that package does, so settings
written for it (in a sitecustomize.py, or in an overridden `get_settings()`) mean the same here.

Which flag each field is, and how it is parsed and spelled, is the one table of the Rust library
(`maturin_hook_core::settings::SETTINGS`): a new setting is a row there and a field here (a test
keeps the two equal).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any, Literal, Sequence

__all__ = ["MaturinSettings"]


@dataclass
class MaturinSettings:
    """Settings of `maturin build` and `maturin develop` that the import hook passes on.

    `MaturinSettings()` sets no flag at all; `MaturinSettings.default()` is what the hook uses when
    it is given no settings (coloured output). Fields that are None (or False, or 0) add no flag.
    Empty lists and dicts add no flag either, as in the PyPI package, except `extras=[]`
    (`--extras ""`, read back as `[""]`) and `rustc_flags=[]` (a lone `--`, read back as None).
    """

    release: bool = False
    strip: bool = False
    quiet: bool = False
    jobs: int | None = None
    profile: str | None = None
    features: list[str] | None = None
    all_features: bool = False
    no_default_features: bool = False
    target: str | None = None
    ignore_rust_version: bool = False
    color: bool | None = None
    """True: `--color always`, False: `--color never`, None: maturin's default (auto)."""
    frozen: bool = False
    locked: bool = False
    offline: bool = False
    config: dict[str, str] | None = None
    """Cargo configuration overrides, each passed as `--config KEY=VALUE`."""
    unstable_flags: list[str] | None = None
    """Cargo's unstable `-Z` flags."""
    verbose: int = 0
    """The number of `-v` flags (given as one argument: 2 is `-vv`)."""
    rustc_flags: list[str] | None = None
    """Extra arguments after `--`, which maturin passes to rustc."""

    # `maturin build` only
    auditwheel: str | None = None
    """One of "repair", "check" or "skip"."""
    zig: bool = False

    # `maturin develop` only
    extras: list[str] | None = None
    uv: bool = False
    skip_install: bool = False
    group: list[str] | None = None
    """Dependency groups of pyproject.toml (PEP 735) to install: `develop --group a,b`."""

    # both commands
    generate_stubs: bool = False
    """`--generate-stubs`: generate type stubs (needs PyO3's "experimental-inspect" feature)."""

    @classmethod
    def default(cls) -> MaturinSettings:
        """The settings the import hook uses when none are given: `MaturinSettings(color=True)`.

        `MaturinSettings()` sets no flags; this turns on coloured compiler output, which is
        otherwise lost because maturin's output is captured."""
        return cls(color=True)

    def to_args(self, cmd: Literal["develop", "build"]) -> list[str]:
        """The command line flags of `maturin <cmd>` for these settings.

        Flags of the other command are left out (`auditwheel` and `zig` are `build` flags;
        `extras`, `uv`, `skip_install`, `group` and `generate_stubs` are `develop` flags). The
        order and spelling of the flags are those of the PyPI package; `rustc_flags` come last,
        after `--`."""
        from maturin_import_hook import _fast

        return _fast.settings_to_args(self, cmd == "develop")

    @classmethod
    def from_args(cls, raw_args: Sequence[str]) -> MaturinSettings:
        """Parses maturin flags (those of `to_args()`, with their short forms) into settings.

        Everything after the first `--`, and everything from the first argument that is not a
        flag, becomes `rustc_flags`. Raises ValueError for a flag it does not know or a bad value.
        The grammar is the one `maturin import-hook site install --args` uses (in Rust)."""
        from maturin_import_hook import _fast

        return cls(**_fast.parse_maturin_settings(list(raw_args)))

    @staticmethod
    def parser() -> NonExitingArgumentParser:
        """An argument parser for the flags of `to_args()`; it raises ValueError instead of exiting.

        Parsing gives a namespace with one attribute per field of MaturinSettings."""
        return NonExitingArgumentParser(prog="maturin", add_help=False)


class NonExitingArgumentParser(argparse.ArgumentParser):
    """Parses maturin flags with the grammar of `MaturinSettings.from_args()`: raises ValueError on
    bad input instead of printing and exiting."""

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        import sys

        from maturin_import_hook import _fast

        fields = _fast.parse_maturin_settings(list(sys.argv[1:] if args is None else args))
        result = namespace if namespace is not None else argparse.Namespace()
        for key, value in fields.items():
            setattr(result, key, value)
        return result

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ValueError(f"argument parser error: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        pass

    def _print_message(self, message: str, file: Any = None) -> None:
        pass
