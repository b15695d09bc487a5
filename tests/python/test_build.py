"""`maturin build`, `maturin sdist` and the PEP 517 backend produce wheels that pip installs
and that import and run in a fresh venv."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixture_projects import PROJECTS, PROJECTS_BY_NAME, FixtureProject
from support import (
    MATURIN,
    REPO_ROOT,
    CopyFixture,
    Venv,
    assert_installed_project_works,
    make_venv,
    only_file,
    require_python,
    run,
)


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.id)
def test_build_wheel_installs_and_runs(
    project: FixtureProject, copy_fixture: CopyFixture, new_venv: Venv, tmp_path: Path
) -> None:
    source = copy_fixture(project.name)
    if project.build_requires:
        new_venv.pip("install", "--quiet", *project.build_requires)
    out = tmp_path / "wheels"
    result = run([MATURIN, "build", "-m", source / project.manifest, "-i", new_venv.python, "-o", out])
    assert "Built wheel" in result.stderr
    wheel = only_file(out, "*.whl")
    new_venv.pip("install", "--quiet", wheel)
    assert_installed_project_works(new_venv, project)


def backend_env(venv: Venv) -> dict[str, str]:
    """Makes `build-backend = "maturin"` resolve to this repo's backend in `venv`'s pip,
    running the maturin binary under test."""
    return venv.env(
        PYTHONPATH=str(REPO_ROOT / "python"),
        PATH=f"{MATURIN.parent}:{venv.env()['PATH']}",
    )


@pytest.mark.parametrize("name", ["pyo3-mixed", "workspace"])
def test_sdist_builds_with_pip(name: str, copy_fixture: CopyFixture, new_venv: Venv, tmp_path: Path) -> None:
    project = PROJECTS_BY_NAME[name]
    source = copy_fixture(name)
    dist = tmp_path / "dist"
    run([MATURIN, "sdist", "-m", source / project.manifest, "-o", dist])
    sdist = only_file(dist, "*.tar.gz")
    wheels = tmp_path / "wheels"
    run(
        [new_venv.python, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-w", wheels, sdist],
        env=backend_env(new_venv),
    )
    new_venv.pip("install", "--quiet", only_file(wheels, "*.whl"))
    assert_installed_project_works(new_venv, project)


def test_pip_wheel_goes_through_our_pep517_backend(
    copy_fixture: CopyFixture, new_venv: Venv, tmp_path: Path
) -> None:
    project = PROJECTS_BY_NAME["pyo3-mixed"]
    source = copy_fixture(project.name)
    wheels = tmp_path / "wheels"
    env = backend_env(new_venv)
    env["MATURIN_PEP517_ARGS"] = "--features extra"
    result = run(
        [
            new_venv.python,
            "-m",
            "pip",
            "wheel",
            "-v",
            "--no-build-isolation",
            "--no-deps",
            "-w",
            wheels,
            source,
        ],
        env=env,
    )
    assert f"{MATURIN} pep517 build-wheel" in result.stdout + result.stderr
    new_venv.pip("install", "--quiet", only_file(wheels, "*.whl"))
    assert_installed_project_works(new_venv, project)
    assert new_venv.python_code("import pyo3_mixed; print(pyo3_mixed.get_extra())").strip() == "5"


def test_editable_pip_install_through_our_backend(copy_fixture: CopyFixture, new_venv: Venv) -> None:
    project = PROJECTS_BY_NAME["pyo3-mixed"]
    source = copy_fixture(project.name)
    run(
        [new_venv.python, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "-e", source],
        env=backend_env(new_venv),
    )
    assert_installed_project_works(new_venv, project)
    # editable: a change to the Python source shows without reinstalling
    init = source / "python" / "pyo3_mixed" / "__init__.py"
    init.write_text(init.read_text() + "\nEDITED = 'yes'\n")
    assert new_venv.python_code("import pyo3_mixed; print(pyo3_mixed.EDITED)").strip() == "yes"


def test_backend_reports_missing_cargo(copy_fixture: CopyFixture, new_venv: Venv) -> None:
    source = copy_fixture("pyo3-pure")
    env = backend_env(new_venv)
    env["PATH"] = f"{MATURIN.parent}:{new_venv.bin_dir}"  # no cargo
    env["MATURIN_NO_INSTALL_RUST"] = "1"
    result = run(
        [
            new_venv.python,
            "-m",
            "pip",
            "wheel",
            "--no-build-isolation",
            "--no-deps",
            "-w",
            source / "w",
            source,
        ],
        env=env,
        check=False,
    )
    assert result.returncode != 0
    assert (
        "Cargo, the Rust package manager, is not installed or is not on PATH" in result.stderr + result.stdout
    )


def test_wheel_for_another_interpreter(copy_fixture: CopyFixture, tmp_path: Path) -> None:
    venv38 = make_venv(tmp_path / "venv38", python=require_python("3.8"))
    project = PROJECTS_BY_NAME["pyo3-pure"]
    source = copy_fixture(project.name)
    out = tmp_path / "wheels"
    run([MATURIN, "build", "-m", source / project.manifest, "-i", venv38.python, "-o", out])
    wheel = only_file(out, "*.whl")
    assert "cp38" in wheel.name
    venv38.pip("install", "--quiet", wheel)
    assert_installed_project_works(venv38, project)


def test_pep517_write_sdist_prints_the_file_name(copy_fixture: CopyFixture, tmp_path: Path) -> None:
    source = copy_fixture("workspace")
    result = run(
        [MATURIN, "pep517", "write-sdist", "--sdist-directory", tmp_path, "-m", source / "py/Cargo.toml"]
    )
    name = result.stdout.strip().splitlines()[-1]
    assert name == "workspace_py-0.1.0.tar.gz"
    assert (tmp_path / name).is_file()
