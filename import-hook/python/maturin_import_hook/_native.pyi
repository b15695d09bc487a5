from typing import Callable

from maturin_import_hook._fast import Reporter
from maturin_import_hook._outcome import Outcome

def versions() -> tuple[str, str]: ...
def build(
    request: str,
    environment: str,
    reporter: Reporter,
    lock_timeout_seconds: float | None = None,
    force: bool = False,
    generate: Callable[[str], str] | None = None,
    maturin: str | None = None,
) -> Outcome: ...
def generate_rs_project(rs_file: str, module_name: str, features: list[str], project_dir: str) -> str: ...
def import_hook_cli(args: list[str], python: str, environment: str) -> int: ...
