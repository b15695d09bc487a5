"""The store of built extensions: a state of the sources that was built once is restored, not
compiled again, across branch switches, `git stash`, worktrees and interpreters, with real git
and real cargo (counted by a `cargo` on PATH that logs each call before it runs the real one).

The rest of the suite runs without a store (conftest.py); here each test has its own, in its
own `MATURIN_BUILD_DIR`."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import (
    FIXTURES_DIR,
    MATURIN,
    Result,
    Venv,
    copy_project,
    make_hook_venv,
    python,
    require_python,
    run,
    set_value,
)

GET = "import {module}; print({module}.get_value())"


class Checkout:
    """A git repository of a fixture project, with a store and a counted cargo."""

    def __init__(self, tmp_path: Path, fixture: str) -> None:
        self.tmp = tmp_path
        self.source = copy_project(FIXTURES_DIR / fixture, tmp_path / fixture)
        self.module = fixture.replace("-", "_")
        self.calls = tmp_path / "cargo-calls.log"
        self.tools = tmp_path / "tools"
        self.tools.mkdir()
        real = shutil.which("cargo")
        assert real is not None
        wrapper = self.tools / "cargo"
        wrapper.write_text(f'#!/bin/sh\necho "$@" >> {self.calls}\nexec {real} "$@"\n')
        wrapper.chmod(0o755)
        # as a project's own: built files are not sources
        (self.source / ".gitignore").write_text("*.so\n__pycache__/\ntarget/\n")
        self.git("init", "-q", "-b", "main")
        self.commit("A")

    def env(self, venv: Venv, **extra: str) -> dict[str, str]:
        settings = {
            "MATURIN_BUILD_DIR": str(self.tmp / "build"),
            "MATURIN_IMPORT_HOOK_STORE": "",
            "PATH": f"{self.tools}{os.pathsep}{os.environ['PATH']}",
            **extra,
        }
        return venv.env(**settings)

    def git(self, *args: str, cwd: Path | None = None) -> None:
        identity = ["-c", "user.email=t@example.com", "-c", "user.name=t"]
        run(["git", *identity, *args], cwd=cwd or self.source)

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def cargo_calls(self) -> int:
        return len(self.calls.read_text().splitlines()) if self.calls.exists() else 0

    def develop(self, venv: Venv, source: Path | None = None) -> None:
        manifest = (source or self.source) / "Cargo.toml"
        run([MATURIN, "develop", "--with-hook", "-m", manifest], env=self.env(venv))

    def imported(self, venv: Venv, expected: int) -> Result:
        result = python(venv, GET.format(module=self.module), env=self.env(venv), colours=False)
        assert result.stdout.strip() == str(expected), result.describe()
        return result

    def next_import(self, venv: Venv) -> dict[str, Any]:
        status = run([MATURIN, "import-hook", "status", "--format", "json"], env=self.env(venv))
        (project,) = json.loads(status.stdout)
        next_import: dict[str, Any] = project["next_import"]
        return next_import


def assert_restored(checkout: Checkout, venv: Venv, expected: int) -> Result:
    calls = checkout.cargo_calls()
    result = checkout.imported(venv, expected)
    assert f'restored package "{checkout.module}" from the store' in result.stderr, result.describe()
    assert checkout.cargo_calls() == calls, "cargo ran for a state built before"
    return result


def test_a_branch_switch_back_restores_each_state_built_before(tmp_path: Path) -> None:
    checkout = Checkout(tmp_path, "pyo3-mixed")  # the extension lives in the source tree
    venv = make_hook_venv(tmp_path / "venv")
    checkout.develop(venv)
    checkout.git("checkout", "-q", "-b", "feature")
    set_value(checkout.source, 23)
    checkout.commit("B")
    rebuilt = checkout.imported(venv, 23)
    assert 'building "pyo3_mixed"' in rebuilt.stderr and checkout.cargo_calls() > 0

    checkout.git("checkout", "-q", "main")
    planned = checkout.next_import(venv)
    assert planned["action"] == "restore" and "on branch main" in planned["reason"], planned
    restored = assert_restored(checkout, venv, 22)
    assert "built just now on branch main" in restored.stderr, restored.describe()
    assert checkout.imported(venv, 22).stderr == ""  # and up to date after it

    checkout.git("checkout", "-q", "feature")
    assert "on branch feature" in assert_restored(checkout, venv, 23).stderr
    # an edit never built before is built, as always
    set_value(checkout.source, 24)
    edited = checkout.imported(venv, 24)
    assert 'building "pyo3_mixed"' in edited.stderr, edited.describe()


def test_stash_and_pop_restore_without_cargo(tmp_path: Path) -> None:
    checkout = Checkout(tmp_path, "pyo3-pure")
    venv = make_hook_venv(tmp_path / "venv")
    checkout.develop(venv)
    set_value(checkout.source, 12)
    checkout.imported(venv, 12)
    checkout.git("stash", "-q")
    assert_restored(checkout, venv, 11)
    checkout.git("stash", "pop", "-q")
    assert_restored(checkout, venv, 12)


def test_a_worktree_restores_what_the_main_checkout_built(tmp_path: Path) -> None:
    """Entries name their inputs relative to the project: a second worktree at another path
    (its own venv, its own record) goes back to states the first one built."""
    checkout = Checkout(tmp_path, "pyo3-pure")
    venv = make_hook_venv(tmp_path / "venv")
    checkout.develop(venv)
    checkout.git("checkout", "-q", "-b", "feature")
    set_value(checkout.source, 12)
    checkout.commit("B")
    checkout.imported(venv, 12)

    worktree = tmp_path / "second worktree"
    checkout.git("worktree", "add", "-q", str(worktree), "main")
    other = make_hook_venv(tmp_path / "other-venv")
    checkout.develop(other, source=worktree)  # its first build compiles
    checkout.git("checkout", "-q", "--detach", "feature", cwd=worktree)
    calls = checkout.cargo_calls()
    result = python(other, GET.format(module="pyo3_pure"), env=checkout.env(other), colours=False)
    assert result.stdout.strip() == "12", result.describe()
    assert "restored package" in result.stderr and checkout.cargo_calls() == calls, result.describe()


def test_two_interpreters_each_go_back_to_their_own_build_without_cargo(tmp_path: Path) -> None:
    """A non-abi3 project in venvs of two Pythons: each has its own builds in the store (by the
    interpreter's ABI), and going back to a state each built before compiles nothing."""
    checkout = Checkout(tmp_path, "pyo3-pure")
    venvs = [make_hook_venv(tmp_path / "venv"), make_hook_venv(tmp_path / "venv312", require_python("3.12"))]
    # a target dir each: the two interpreters would otherwise recompile pyo3 in turns
    envs = [checkout.env(venv, CARGO_TARGET_DIR=str(venv.root / "target")) for venv in venvs]
    for env in envs:
        run([MATURIN, "develop", "--with-hook", "-m", checkout.source / "Cargo.toml"], env=env)
    set_value(checkout.source, 12)
    for venv, env in zip(venvs, envs):
        result = python(venv, GET.format(module="pyo3_pure"), env=env, colours=False)
        assert result.stdout.strip() == "12" and "building" in result.stderr, result.describe()
    set_value(checkout.source, 11)
    calls = checkout.cargo_calls()
    for venv, env in zip(venvs, envs):
        result = python(venv, GET.format(module="pyo3_pure"), env=env, colours=False)
        assert result.stdout.strip() == "11" and "restored package" in result.stderr, result.describe()
    assert checkout.cargo_calls() == calls


def test_a_damaged_stored_build_is_built_again_with_a_warning(tmp_path: Path) -> None:
    checkout = Checkout(tmp_path, "pyo3-pure")
    venv = make_hook_venv(tmp_path / "venv")
    checkout.develop(venv)
    set_value(checkout.source, 12)
    checkout.imported(venv, 12)
    for blob in (tmp_path / "build" / "store" / "v1" / "blobs").iterdir():
        blob.write_bytes(b"not an extension module")
    set_value(checkout.source, 11)
    result = checkout.imported(venv, 11)
    assert "cannot be used" in result.stderr and "damaged" in result.stderr, result.describe()
    assert 'building "pyo3_pure"' in result.stderr, result.describe()


def test_cache_info_shows_the_store_and_cache_clear_empties_it(tmp_path: Path) -> None:
    checkout = Checkout(tmp_path, "pyo3-pure")
    venv = make_hook_venv(tmp_path / "venv")
    checkout.develop(venv)
    set_value(checkout.source, 12)
    checkout.imported(venv, 12)
    set_value(checkout.source, 11)
    assert_restored(checkout, venv, 11)
    env = checkout.env(venv)
    info = json.loads(run([MATURIN, "import-hook", "cache", "info", "-f", "json"], env=env).stdout)
    assert info["store"] == str(tmp_path / "build" / "store"), info
    assert (info["store_entries"], info["store_hits"], info["shared_store"]) == ("2", "1", None), info
    assert info["store_size"].endswith(" MiB") and info["store_size"] != "0.00 MiB", info
    cleared = run([MATURIN, "import-hook", "cache", "clear", "--yes"], env=env)
    assert "cleared the store of built extensions" in cleared.stdout, cleared.describe()
    info = json.loads(run([MATURIN, "import-hook", "cache", "info", "-f", "json"], env=env).stdout)
    assert info["store_entries"] == "0", info


@pytest.mark.parametrize("setting", ["off", "1"], ids=["store-off", "one-byte-store"])
def test_the_store_can_be_turned_off_or_kept_small(tmp_path: Path, setting: str) -> None:
    checkout = Checkout(tmp_path, "pyo3-pure")
    venv = make_hook_venv(tmp_path / "venv")
    extra = (
        {"MATURIN_IMPORT_HOOK_STORE": "off"} if setting == "off" else {"MATURIN_IMPORT_HOOK_STORE_SIZE": "1"}
    )
    env = checkout.env(venv, **extra)
    run([MATURIN, "develop", "--with-hook", "-m", checkout.source / "Cargo.toml"], env=env)
    set_value(checkout.source, 12)
    python(venv, GET.format(module="pyo3_pure"), env=env)
    set_value(checkout.source, 11)
    result = python(venv, GET.format(module="pyo3_pure"), env=env, colours=False)
    assert result.stdout.strip() == "11" and 'building "pyo3_pure"' in result.stderr, result.describe()
    blobs = tmp_path / "build" / "store" / "v1" / "blobs"
    assert not blobs.exists() or len(list(blobs.iterdir())) == 0, list(blobs.iterdir())


def test_a_restored_rust_directory_layout_rebuilds_its_next_edit(tmp_path: Path) -> None:
    """pendulum's layout (`[tool.maturin] manifest-path = "rust/Cargo.toml"`), developed from the
    project directory: a develop that restores from the store names the crate's manifest as the
    compiling one does, so that the next edit rebuilds."""
    checkout = Checkout(tmp_path, "src-layout")
    first, second = make_hook_venv(tmp_path / "venv"), make_hook_venv(tmp_path / "second")
    leap = "import pend_like; print(pend_like.is_leap(2023))"
    run([MATURIN, "develop", "--with-hook"], cwd=checkout.source, env=checkout.env(first))
    restored = run([MATURIN, "develop", "--with-hook"], cwd=checkout.source, env=checkout.env(second))
    assert "from the store" in restored.stderr, restored.describe()
    assert python(second, leap, env=checkout.env(second)).stdout.strip() == "False"
    lib = checkout.source / "rust" / "src" / "lib.rs"
    lib.write_text(lib.read_text().replace("year % 4 == 0", "year % 4 == 3", 1))
    result = python(second, leap, env=checkout.env(second), colours=False)
    assert result.stdout.strip() == "True", result.describe()
    assert "manifest path" not in result.stderr


def test_pytest_says_it_restored(tmp_path: Path) -> None:
    """The pytest plugin's line for a state it restored (as for one it rebuilt)."""
    checkout = Checkout(tmp_path, "pyo3-pure")
    venv = make_hook_venv(tmp_path / "venv")
    venv.pip("install", "--quiet", "pytest==9.2.0")
    checkout.develop(venv)
    set_value(checkout.source, 12)
    checkout.imported(venv, 12)
    checkout.git("stash", "-q")
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_value.py").write_text(
        "import pyo3_pure\n\n\ndef test_value():\n    assert pyo3_pure.get_value() == 11\n"
    )
    calls = checkout.cargo_calls()
    result = run([venv.python, "-m", "pytest", "-p", "no:cacheprovider", suite], env=checkout.env(venv))
    assert "1 passed" in result.stdout, result.describe()
    restored = "maturin_import_hook: restored pyo3_pure from the store (built "
    assert restored in result.stdout, result.describe()
    assert checkout.cargo_calls() == calls
