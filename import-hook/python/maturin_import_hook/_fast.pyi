from typing import Callable

def refresh(
    state_dir: str,
    lock_timeout_seconds: float | None,
    on_wait: Callable[[str], None],
    on_rebuild: Callable[[str], None],
    show_output: bool = True,
) -> tuple[str, str | None, str]: ...
def is_fresh(state_dir: str) -> bool: ...

class CargoBuildFailed(RuntimeError): ...
