"""Editable installs that carry the hook: `pip install -e .`, `uv pip install -e .` and `uv sync`
through this maturin's PEP 517 backend, with real pip, real uv and fresh venvs."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import (
    CopyFixture,
    Result,
    Venv,
    environment_without_venv,
    make_venv,
    python,
    replace_in,
    run,
    runtime_wheel,
    set_value,
)

GET = "import pyo3_pure; print(pyo3_pure.get_value())"
HOOKED = ["maturin_hook-pyo3_pure.pth", "pyo3_pure.quick-check"]


def uv() -> str:
    found = shutil.which("uv")
    if found is None:
        pytest.skip("uv is not on PATH (scripts/test installs it)")
    return found


def hooks(venv: Venv) -> list[str]:
    """The hook's files in `venv`: its `.pth` and its quick check."""
    pth = (path.name for path in venv.site_packages.glob("maturin_hook-*.pth"))
    quick_checks = (path.name for path in (venv.root / "share" / "maturin-hook").glob("*"))
    return sorted([*pth, *quick_checks])


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
    # answered by the quick check the rebuild wrote: no native module of the hook is loaded
    loaded = python(venv, f"{GET}; import sys; print('maturin_import_hook._fast' in sys.modules)")
    assert loaded.stdout.split() == ["12", "False"], loaded.describe()


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
    assert hooks(runtime_venv) == HOOKED
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
    assert hooks(runtime_venv) == HOOKED
    assert_rebuilds_on_import(runtime_venv, source)


def test_uv_pip_editable_install_with_the_pyproject_setting_rebuilds_on_import(
    copy_fixture: CopyFixture, runtime_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    with (source / "pyproject.toml").open("a") as pyproject:
        pyproject.write('\n[tool.maturin]\nimport-hook = true\neditable-profile = "dev"\n')
    env = runtime_venv.env()
    run([uv(), "pip", "install", "--no-build-isolation", "-e", source], env=env)
    assert hooks(runtime_venv) == HOOKED
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
    assert hooks(venv) == HOOKED

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


def status(venv: Venv, env: dict[str, str]) -> dict[str, Any]:
    """What `maturin import-hook status` says of the venv's one hooked project."""
    result = run([venv.bin_dir / "maturin", "import-hook", "status", "--format", "json"], env=env)
    (project,) = json.loads(result.stdout)
    next_import: dict[str, Any] = project["next_import"]
    next_import["state_dir"] = project["state_dir"]
    next_import["settings"] = project["settings"]
    return next_import


def test_an_isolated_editable_install_keeps_its_promises_in_every_order(
    copy_fixture: CopyFixture, tmp_path: Path
) -> None:
    """`uv sync` (an isolated build) of a non-abi3 mixed project, then imports after each of the
    steps a user takes, in the orders that broke before: what `status` says the next import does
    is what it does; no import after an install builds; an edit, also one made before the first
    import after a reinstall, is a replay (pyo3 is not compiled again); a Cargo.toml edit is named
    as such; a corrupt record is named as such."""
    source = copy_fixture("pyo3-mixed")
    with (source / "pyproject.toml").open("a") as pyproject:
        pyproject.write(
            "\nimport-hook = true\n"
            '\n[dependency-groups]\ndev = ["maturin"]\n'
            f'\n[tool.uv.sources]\nmaturin = {{ path = "{runtime_wheel()}" }}\n'
        )
    assert "[tool.maturin]\n" in (source / "pyproject.toml").read_text()
    venv = Venv(tmp_path / "uv-venv")
    env = environment_without_venv(UV_PROJECT_ENVIRONMENT=str(venv.root), VIRTUAL_ENV=str(venv.root))
    get = "import pyo3_mixed; print(pyo3_mixed.get_value())"

    def imported(expected: str) -> Result:
        result = python(venv, get, env=env, colours=False)
        assert result.stdout.strip() == expected, result.describe()
        return result

    run([uv(), "sync"], cwd=source, env=env)
    planned = status(venv, env)
    assert planned["action"] == "adopt", planned
    assert not any("/builds-v0/" in arg or "pip-build-env" in arg for arg in planned["settings"]), planned
    assert imported("22").stderr == ""
    assert status(venv, env)["action"] == "up-to-date"

    set_value(source, 23)
    assert status(venv, env)["action"] == "replay"
    edited = imported("23")
    assert 'building "pyo3_mixed": ' in edited.stderr and "src/lib.rs changed" in edited.stderr
    assert "Compiling pyo3 " not in edited.stderr, edited.describe()

    # a reinstall through the isolated build: nothing built (its files are the same as those
    # installed, or its build is taken over)
    run([uv(), "sync", "--reinstall-package", "pyo3-mixed"], cwd=source, env=env)
    assert status(venv, env)["action"] in ("up-to-date", "adopt")
    assert "building" not in imported("23").stderr

    # a reinstall, then an edit before anything imports it: a replay of the install's build
    run([uv(), "sync", "--reinstall-package", "pyo3-mixed"], cwd=source, env=env)
    set_value(source, 24)
    assert status(venv, env)["action"] in ("replay", "adopt-and-replay")
    edited = imported("24")
    assert 'building "pyo3_mixed"' in edited.stderr and "Compiling pyo3 " not in edited.stderr, (
        edited.describe()
    )

    # a manifest edit is a full develop, and says so
    replace_in(source / "Cargo.toml", 'version = "0.1.0"', 'version = "0.1.1"')
    planned = status(venv, env)
    assert planned["action"] == "full-develop" and "Cargo.toml changed" in planned["reason"], planned
    rebuilt = imported("24")
    assert "Cargo.toml changed" in rebuilt.stderr, rebuilt.describe()
    assert imported("24").stderr == ""

    # a corrupt record is named as such, and the import rebuilds
    record = Path(status(venv, env)["state_dir"]) / "develop.json"
    record.write_text(record.read_text()[:100])
    planned = status(venv, env)
    assert planned["action"] == "full-develop", planned
    assert f"its build record {record} cannot be used: it is not a build record" in planned["reason"]
    assert "cannot be used: it is not a build record" in imported("24").stderr
