"""What the importers pass to maturin when they are given no settings, known without importing
the settings module: dataclasses and argparse cost milliseconds on the path of an up-to-date
import.

Upstream passes `MaturinSettings.default()` (`--color always`), because it captures maturin's
output; that puts colour codes into logs and pipes. Without settings, ours passes no `--color`:
colour then follows where the build's output goes (a terminal, `NO_COLOR`, `CLICOLOR_FORCE`; see
`_pipeline.Reporter.colour`). Settings given explicitly, `MaturinSettings.default()` included, are
passed as they are."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Literal, Protocol

    from maturin_import_hook.settings import MaturinSettings

    class _Importer(Protocol):
        _settings: MaturinSettings | None

        def get_settings(self, module_path: str, source_path: Path) -> MaturinSettings: ...


DEFAULT_ARGS: tuple[str, ...] = ()


def importer_args(
    importer: _Importer,
    base: type[_Importer],
    module_path: str,
    source_path: Path,
    command: Literal["develop", "build"] = "develop",
) -> list[str]:
    """`importer.get_settings(module_path, source_path).to_args(command)`, without the settings
    module when the importer of class `base` (or a subclass) runs with the default settings: none
    given, `get_settings()` not overridden."""
    if importer._settings is None and type(importer).get_settings is base.get_settings:
        return list(DEFAULT_ARGS)
    return importer.get_settings(module_path, source_path).to_args(command)
