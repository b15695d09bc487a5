"""`maturin develop` installs every fixture project into a fresh venv (pip and uv venvs),
where it imports and runs and where pip sees an editable install."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fixture_projects import PROJECTS, PROJECTS_BY_NAME, FixtureProject
from support import CopyFixture, Venv, assert_installed_project_works, run


def dist_of(project: FixtureProject) -> str:
    names = {
        "cffi": "cffi-fixture",
        "uniffi": "uniffi-fixture",
        "bin": "bin-fixture",
        "workspace": "workspace-py",
    }
    return names.get(project.name, project.name)


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.id)
def test_develop_installs_and_runs(
    project: FixtureProject, copy_fixture: CopyFixture, new_venv: Venv
) -> None:
    source = copy_fixture(project.name)
    if project.build_requires:
        new_venv.pip("install", "--quiet", *project.build_requires)
    result = new_venv.maturin("develop", "-m", source / project.manifest)
    assert "Installed" in result.stderr
    assert_installed_project_works(new_venv, project)

    listed = {
        p["name"].replace("_", "-"): p for p in json.loads(new_venv.pip("list", "--format", "json").stdout)
    }
    entry = listed[dist_of(project)]
    assert entry["version"] == "0.1.0"
    assert Path(entry["editable_project_location"]).resolve() == (source / project.manifest).parent.resolve()


def test_develop_release_and_features(copy_fixture: CopyFixture, new_venv: Venv) -> None:
    source = copy_fixture("pyo3-mixed")
    new_venv.maturin("develop", "--release", "--features", "extra", "-m", source / "Cargo.toml")
    assert new_venv.python_code("import pyo3_mixed; print(pyo3_mixed.get_extra())").strip() == "5"


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not on PATH (scripts/test installs it)")
def test_develop_into_uv_venv(copy_fixture: CopyFixture, tmp_path: Path) -> None:
    uv = shutil.which("uv")
    root = tmp_path / "uv-venv"
    run([uv, "venv", "--seed", root])
    venv = Venv(root)
    project = PROJECTS_BY_NAME["pyo3-mixed"]
    source = copy_fixture(project.name)
    venv.maturin("develop", "--uv", "-m", source / project.manifest)
    assert_installed_project_works(venv, project)
    listed = run([uv, "pip", "list", "--python", venv.python], env=venv.env()).stdout
    assert "pyo3-mixed" in listed


def test_develop_of_broken_cargo_toml_names_the_file(copy_fixture: CopyFixture, new_venv: Venv) -> None:
    source = copy_fixture("pyo3-pure")
    manifest = source / "Cargo.toml"
    manifest.write_text(manifest.read_text() + "\n[broken\n")
    result = new_venv.maturin("develop", "-m", manifest, check=False)
    assert result.returncode == 1
    assert "Cargo.toml" in result.stderr
