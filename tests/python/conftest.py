"""The fixtures of the test suite: real venvs, real cargo builds of the projects in tests/fixtures.
Helpers that are not fixtures are in support.py.

The `maturin` under test is the one installed (by `pip install .`) in the environment that
runs pytest, unless MATURIN_HOOK_BIN names another binary. Every fixture build of one pytest
process shares one CARGO_TARGET_DIR so that pyo3 compiles once per process; each pytest-xdist
worker has its own (copies of one fixture built at once would overwrite each other's artifact).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

# the helpers in support.py assert too: pytest explains their failures as it does the tests'
pytest.register_assert_rewrite("support")

from support import (  # noqa: E402 (imported once pytest rewrites its assertions)
    FIXTURES_DIR,
    REPO_ROOT,
    CopyFixture,
    Venv,
    check_maturin_installed,
    copy_project,
    make_hook_venv,
    make_venv,
)


def pytest_configure() -> None:
    """Stops the session before it collects anything when the maturin under test is missing."""
    check_maturin_installed()


@pytest.fixture(scope="session", autouse=True)
def no_store_of_built_extensions() -> Iterator[None]:
    """Tests build the same states of the same fixtures again and again: a store shared between
    them would restore what another test built and hide the builds they check. The store's
    own tests (test_store.py) turn it on, in a directory of their own."""
    os.environ["MATURIN_IMPORT_HOOK_STORE"] = "off"
    yield


@pytest.fixture(scope="session", autouse=True)
def shared_cargo_target_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One target dir for every fixture build of this pytest process (pyo3 compiles once per
    process): under pytest-xdist, a directory per worker inside the given one."""
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO_ROOT / "target" / "fixtures")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        target = target / worker
    target.mkdir(parents=True, exist_ok=True)
    os.environ["CARGO_TARGET_DIR"] = str(target)
    yield target


@pytest.fixture
def new_venv(tmp_path: Path) -> Venv:
    return make_venv(tmp_path / "venv")


@pytest.fixture
def copy_fixture(tmp_path: Path) -> CopyFixture:
    """Copies tests/fixtures/<name> into the test's tmp dir (see support.copy_project), so tests
    never touch the repo."""

    def copy(name: str) -> Path:
        return copy_project(FIXTURES_DIR / name, tmp_path / "projects" / name)

    return copy


@pytest.fixture
def hook_venv(tmp_path: Path) -> Venv:
    """A fresh venv with the import hook runtime installed (from the repository's wheel)."""
    return make_hook_venv(tmp_path / "venv")
