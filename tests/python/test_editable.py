"""Editable installs that carry the hook: `pip install -e .`, `uv pip install -e .` and `uv sync`
through this maturin's PEP 517 backend, with real pip, real uv and fresh venvs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support import (
    CopyFixture,
    Result,
    Venv,
    environment_without_venv,
    make_venv,
    python,
    run,
    runtime_wheel,
    set_value,
)

GET = "import pyo3_pure; print(pyo3_pure.get_value())"


def uv() -> str:
    found = shutil.which("uv")
    if found is None:
        pytest.skip("uv is not on PATH (scripts/test installs it)")
    return found


def hooks(venv: Venv) -> list[str]:
    return sorted(path.name for path in venv.site_packages.glob("maturin_hook-*.pth"))


def assert_rebuilds_on_import(venv: Venv, source: Path, profile: str = "release") -> None:
    """The first import takes over the install's build; an edit is rebuilt by the next import
    with the install's settings (replaying cargo: pyo3 is not compiled again); the one after that
    builds nothing."""
    first = python(venv, GET)
    assert first.stdout.strip() == "11" and first.stderr == "", first.describe()
    set_value(source, 12)
    edited = python(venv, GET, colours=False)
    assert edited.stdout.strip() == "12", edited.describe()
    assert 'building "pyo3_pure"' in edited.stderr and "Compiling pyo3 " not in edited.stderr
    assert f"`{profile}` profile" in edited.stderr, edited.describe()
    again = python(venv, GET)
    assert again.stdout.strip() == "12" and again.stderr == "", again.describe()


@pytest.fixture
def runtime_venv(tmp_path: Path) -> Venv:
    """A venv with this maturin (the backend and the runtime), for builds without isolation."""
    venv = make_venv(tmp_path / "venv")
    venv.pip("install", "--quiet", runtime_wheel())
    return venv


def test_pip_editable_install_with_the_config_setting_rebuilds_on_import(
    copy_fixture: CopyFixture, runtime_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    runtime_venv.pip(
        "install",
        "--quiet",
        "--no-build-isolation",
        *("-C", "import-hook=true", "-C", "build-args=--profile=dev"),
        *("-e", source),
    )
    assert hooks(runtime_venv) == ["maturin_hook-pyo3_pure.pth"]
    assert_rebuilds_on_import(runtime_venv, source, profile="dev")
    runtime_venv.pip("uninstall", "--yes", "pyo3-pure")
    assert hooks(runtime_venv) == []


def test_pip_editable_install_with_build_isolation_through_find_links(
    copy_fixture: CopyFixture, runtime_venv: Venv
) -> None:
    """The pip recipe of the guide: a directory with this maturin's wheel as `--find-links`; its
    version (1.16.0+hook...) sorts above PyPI's 1.16.0, so the isolated build environment gets it."""
    source = copy_fixture("pyo3-pure")
    links = runtime_wheel().parent
    runtime_venv.pip("install", "--quiet", "--find-links", links, "-C", "import-hook=true", "-e", source)
    assert hooks(runtime_venv) == ["maturin_hook-pyo3_pure.pth"]
    assert_rebuilds_on_import(runtime_venv, source)


def test_uv_pip_editable_install_with_the_pyproject_setting_rebuilds_on_import(
    copy_fixture: CopyFixture, runtime_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    with (source / "pyproject.toml").open("a") as pyproject:
        pyproject.write('\n[tool.maturin]\nimport-hook = true\neditable-profile = "dev"\n')
    env = runtime_venv.env()
    run([uv(), "pip", "install", "--no-build-isolation", "-e", source], env=env)
    assert hooks(runtime_venv) == ["maturin_hook-pyo3_pure.pth"]
    assert_rebuilds_on_import(runtime_venv, source, profile="dev")
    # the config setting overrides the project's opt-in
    run([uv(), "pip", "install", "--no-build-isolation", "-C", "import-hook=false", "-e", source], env=env)
    assert hooks(runtime_venv) == []
    run([uv(), "pip", "uninstall", "pyo3-pure"], env=env)


def test_without_the_opt_in_an_editable_install_is_upstreams(
    copy_fixture: CopyFixture, runtime_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    runtime_venv.pip("install", "--quiet", "--no-build-isolation", "-e", source)
    assert hooks(runtime_venv) == []
    set_value(source, 13)
    assert python(runtime_venv, GET).stdout.strip() == "11"


def test_uv_sync_and_uv_run_with_build_isolation_through_the_documented_recipe(
    copy_fixture: CopyFixture, tmp_path: Path
) -> None:
    """The recipe of the guide: this maturin's wheel as the source of `maturin` (for the isolated
    build and, as a dev dependency, for the environment's runtime)."""
    source = copy_fixture("pyo3-pure")
    with (source / "pyproject.toml").open("a") as pyproject:
        pyproject.write(
            "\n[tool.maturin]\nimport-hook = true\n"
            '\n[dependency-groups]\ndev = ["maturin"]\n'
            f'\n[tool.uv.sources]\nmaturin = {{ path = "{runtime_wheel()}" }}\n'
        )
    env = environment_without_venv(UV_PROJECT_ENVIRONMENT=str(tmp_path / "uv-venv"))
    sync = run([uv(), "sync"], cwd=source, env=env)
    assert "pyo3-pure" in sync.stderr, sync.describe()
    venv = Venv(tmp_path / "uv-venv")
    assert hooks(venv) == ["maturin_hook-pyo3_pure.pth"]

    def uv_run(code: str) -> Result:
        return run([uv(), "run", "python", "-c", code], cwd=source, env=env)

    first = uv_run(GET)
    assert first.stdout.strip() == "11" and "building" not in first.stderr, first.describe()
    set_value(source, 12)
    edited = uv_run(GET)
    assert edited.stdout.strip() == "12", edited.describe()
    # rebuilt by the hook, in-process, not by uv rebuilding the wheel
    assert 'building "pyo3_pure"' in edited.stderr and "Building pyo3-pure" not in edited.stderr
    assert "Compiling pyo3 " not in edited.stderr, "the first rebuild compiled pyo3 again"
    again = uv_run(GET)
    assert again.stdout.strip() == "12" and "building" not in again.stderr, again.describe()
    # removing the project from the environment removes the hook
    run([uv(), "pip", "uninstall", "--python", venv.python, "pyo3-pure"], env=env)
    assert hooks(venv) == []


def test_a_missing_runtime_does_not_stop_start_up(copy_fixture: CopyFixture, runtime_venv: Venv) -> None:
    source = copy_fixture("pyo3-pure")
    runtime_venv.pip("install", "--quiet", "--no-build-isolation", "-C", "import-hook=true", "-e", source)
    runtime_venv.pip("uninstall", "--yes", "maturin")
    result = python(runtime_venv, GET)
    assert result.stdout.strip() == "11", result.describe()
    assert result.stderr.count("\n") == 1 and "not watching pyo3_pure" in result.stderr, result.describe()
    assert "install the project again with `-C import-hook=false`" in result.stderr, result.describe()


def test_maturin_new_with_hook_opts_the_project_in(tmp_path: Path, runtime_venv: Venv) -> None:
    maturin = runtime_venv.bin_dir / "maturin"
    run([maturin, "new", "--with-hook", "-b", "pyo3", tmp_path / "fresh"], env=runtime_venv.env())
    text = (tmp_path / "fresh" / "pyproject.toml").read_text()
    assert "[tool.maturin]\nimport-hook = true\n" in text, text
    assert os.path.isfile(tmp_path / "fresh" / "src" / "lib.rs")
