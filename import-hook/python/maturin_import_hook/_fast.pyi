from typing import Callable

def refresh(
    state_dir: str,
    lock_timeout_seconds: float | None,
    on_wait: Callable[[str], None],
    on_rebuild: Callable[[str], None],
    show_output: bool = True,
) -> tuple[str, str | None, str]: ...
def is_fresh(state_dir: str) -> bool: ...
def project_is_fresh(
    manifest_path: str,
    args: list[str],
    environment: str,
    build_dir: str | None = None,
    extra_inputs: list[str] = ...,
) -> bool: ...
def rs_file_extension_if_fresh(
    rs_file: str,
    module_name: str,
    args: list[str],
    python: str,
    environment: str,
    build_dir: str | None = None,
) -> str | None: ...
def find_projects(
    search_path: list[str],
) -> tuple[list[tuple[str, str, str, bool]], list[tuple[str, str]]]: ...
def path_dependencies(manifest_path: str) -> list[str]: ...

class CargoBuildFailed(RuntimeError): ...
