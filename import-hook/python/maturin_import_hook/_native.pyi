from typing import Any, Callable

from maturin_import_hook._fast import Reporter

def versions() -> tuple[str, str]: ...
def develop_project(
    request: str,
    environment: str,
    reporter: Reporter,
    lock_timeout_seconds: float | None = None,
    force: bool = False,
) -> tuple[str, str | None, bool, list[str]]: ...
def build_rs_file(
    request: str,
    environment: str,
    reporter: Reporter,
    lock_timeout_seconds: float | None = None,
    force: bool = False,
    generate: Callable[[str], str] | None = None,
    maturin: str | None = None,
) -> tuple[str, str, str | None, bool]: ...
def generate_rs_project(rs_file: str, module_name: str, features: list[str], project_dir: str) -> str: ...
def import_hook_cli(args: list[str], python: str, environment: str) -> int: ...
def parse_maturin_settings(args: list[str]) -> dict[str, Any]: ...

class BuildFailed(RuntimeError): ...
