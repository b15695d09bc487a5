from typing import Callable

def versions() -> tuple[str, str]: ...
def develop_hooked(config: str, show_output: bool = True) -> tuple[str, str | None]: ...
def develop_project(
    manifest_path: str,
    args: list[str],
    environment: str,
    lock_timeout_seconds: float | None = None,
    show_output: bool = True,
    force_rebuild: bool = False,
    build_dir: str | None = None,
    extra_inputs: list[str] = ...,
    on_wait: Callable[[str], None] | None = None,
    on_build: Callable[[str], None] | None = None,
) -> tuple[str, str | None]: ...
def build_rs_file(
    rs_file: str,
    module_name: str,
    args: list[str],
    python: str,
    environment: str,
    build_dir: str | None = None,
    lock_timeout_seconds: float | None = None,
    show_output: bool = True,
    force_rebuild: bool = False,
    generate: Callable[[str], str] | None = None,
    maturin: str | None = None,
    on_wait: Callable[[str], None] | None = None,
    on_build: Callable[[str], None] | None = None,
) -> tuple[str, str, str | None]: ...
def generate_rs_project(rs_file: str, module_name: str, features: list[str], project_dir: str) -> str: ...
def import_hook_cli(args: list[str], python: str, environment: str) -> int: ...

class DevelopFailed(RuntimeError): ...
