"""Shared test fixtures: real venvs, real cargo builds of the projects in tests/fixtures.

The `maturin` under test is the one installed (by `pip install .`) in the environment that
runs pytest, unless MATURIN_HOOK_BIN names another binary. Every fixture build shares one
CARGO_TARGET_DIR so that pyo3 compiles once per test session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures"


def maturin_binary() -> Path:
    override = os.environ.get("MATURIN_HOOK_BIN")
    if override:
        return Path(override)
    exe = "maturin.exe" if sys.platform == "win32" else "maturin"
    installed = Path(sysconfig.get_path("scripts")) / exe
    if not installed.is_file():
        pytest.exit(
            f"{installed} does not exist: run the tests with scripts/test, or `pip install .` the repo "
            "into the environment that runs pytest, or set MATURIN_HOOK_BIN",
            returncode=2,
        )
    return installed


MATURIN = maturin_binary()


@dataclass
class Result:
    args: Sequence[str]
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return (
            f"$ {' '.join(map(str, self.args))}\nexit {self.returncode}\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )


def run(
    args: Sequence[object],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
    timeout: float = 900,
) -> Result:
    str_args = [str(arg) for arg in args]
    completed = subprocess.run(
        str_args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    result = Result(str_args, completed.returncode, completed.stdout, completed.stderr)
    if check and result.returncode != 0:
        raise AssertionError(f"command failed:\n{result.describe()}")
    return result


def environment_without_venv(**extra: str) -> dict[str, str]:
    """os.environ minus anything that points maturin at the test runner's own venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONHOME")}
    env.update(extra)
    return env


@dataclass
class Venv:
    root: Path

    @property
    def bin_dir(self) -> Path:
        return self.root / ("Scripts" if sys.platform == "win32" else "bin")

    @property
    def python(self) -> Path:
        return self.bin_dir / ("python.exe" if sys.platform == "win32" else "python")

    @property
    def site_packages(self) -> Path:
        out = self.python_code("import sysconfig; print(sysconfig.get_path('purelib'))")
        return Path(out.strip())

    def env(self, **extra: str) -> dict[str, str]:
        return environment_without_venv(VIRTUAL_ENV=str(self.root), **extra)

    def python_code(self, code: str, *, cwd: Path | None = None, check: bool = True) -> str:
        return run([self.python, "-c", code], cwd=cwd, env=self.env(), check=check).stdout

    def pip(self, *args: object, cwd: Path | None = None) -> Result:
        return run([self.python, "-m", "pip", "--disable-pip-version-check", *args], cwd=cwd, env=self.env())

    def maturin(self, *args: object, cwd: Path | None = None, check: bool = True) -> Result:
        """Runs the maturin under test with this venv activated."""
        return run([MATURIN, *args], cwd=cwd, env=self.env(), check=check)


def require_python(version: str) -> str:
    """An interpreter of that version (from pyenv, or on PATH), else skip the test saying why."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [str(p) for p in sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"))]
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        # a pyenv shim exists for every installed version but only runs the selected ones
        if subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0:
            return candidate
    pytest.skip(f"CPython {version} is not installed (looked in {pyenv_root}/versions and on PATH)")


def make_venv(root: Path, python: str | None = None, with_pip: bool = True) -> Venv:
    if python is None or Path(python).resolve() == Path(sys.executable).resolve():
        venv.EnvBuilder(with_pip=with_pip, clear=True).create(root)
    else:
        run([python, "-m", "venv", *([] if with_pip else ["--without-pip"]), root])
    return Venv(root)


@pytest.fixture(scope="session", autouse=True)
def shared_cargo_target_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One target dir for every fixture build of the session (pyo3 compiles once)."""
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO_ROOT / "target" / "fixtures")
    target.mkdir(parents=True, exist_ok=True)
    os.environ["CARGO_TARGET_DIR"] = str(target)
    yield target


@pytest.fixture
def new_venv(tmp_path: Path) -> Venv:
    return make_venv(tmp_path / "venv")


@pytest.fixture
def copy_fixture(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Copies tests/fixtures/<name> into the test's tmp dir, so tests never touch the repo.

    The copies get fresh mtimes: all copies of a fixture share one cargo target dir, where
    cargo keys the crate by its workspace-relative path and compares mtimes, so a copy with
    the repo's old mtimes would be taken for another copy's newer (edited) build."""

    def copy(name: str) -> Path:
        destination = tmp_path / "projects" / name
        shutil.copytree(
            FIXTURES_DIR / name,
            destination,
            ignore=shutil.ignore_patterns("target", "__pycache__"),
            copy_function=shutil.copy,
        )
        return destination

    return copy


def runtime_wheel() -> Path:
    """The wheel of this repository (the maturin binary and the maturin_import_hook runtime),
    built once by scripts/test; installed into the venvs where a test uses the import hook."""
    override = os.environ.get("MATURIN_HOOK_WHEEL")
    if override:
        return Path(override)
    wheels = sorted((REPO_ROOT / "target" / "test-wheel").glob("maturin-*.whl"))
    if not wheels:
        pytest.exit(
            "no wheel in target/test-wheel: run the tests with scripts/test, or build it with "
            "`pip wheel --no-deps -w target/test-wheel .`, or set MATURIN_HOOK_WHEEL",
            returncode=2,
        )
    return wheels[-1]


@pytest.fixture
def hook_venv(tmp_path: Path) -> Venv:
    """A fresh venv with the import hook runtime installed (from the repository's wheel)."""
    env = make_venv(tmp_path / "venv")
    env.pip("install", "--quiet", "--no-deps", runtime_wheel())
    return env
