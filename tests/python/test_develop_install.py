"""The pip-free `maturin develop`: what it writes is a correct editable install for pip, uv and
importlib.metadata, it cleans up after other installs, it skips work when nothing changed,
and it starts no pip, uv or python process when it has nothing to install."""

from __future__ import annotations

import base64
import csv
import hashlib
import os
import re
import shutil
from pathlib import Path

import pytest
from fixture_projects import PROJECTS_BY_NAME
from support import (
    FIXTURES_DIR,
    MATURIN,
    CopyFixture,
    Venv,
    assert_installed_project_works,
    copy_project,
    only_file,
    read_only,
    run,
    run_at_once,
    set_value,
)


def dist_info(venv: Venv, name: str) -> Path:
    return only_file(venv.site_packages, f"{name}-*.dist-info")


def tree(root: Path) -> set[str]:
    """Every file under `root`, minus caches that Python and we write on our own and the
    `.lock` uv keeps at the root of an environment it touched."""
    ignored = ("__pycache__", "maturin_build_cache")
    return {
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and not any(part in ignored for part in path.parts) and path != root / ".lock"
    }


def pure_value(venv: Venv) -> str:
    """What the installed pyo3-pure fixture's get_value() returns, in a fresh interpreter."""
    return venv.python_code("import pyo3_pure; print(pyo3_pure.get_value())").strip()


def test_install_is_a_correct_editable_install(copy_fixture: CopyFixture, new_venv: Venv) -> None:
    source = copy_fixture("pyo3-mixed")
    new_venv.maturin("develop", "-m", source / "Cargo.toml")
    info = dist_info(new_venv, "pyo3_mixed")
    assert (info / "INSTALLER").read_text().strip() == "maturin"
    direct_url = (info / "direct_url.json").read_text()
    assert '"editable": true' in direct_url and source.resolve().as_uri() in direct_url

    # every RECORD line but RECORD itself carries the right hash and size
    with open(info / "RECORD", newline="") as file:
        rows = list(csv.reader(file))
    assert [info.name + "/RECORD", "", ""] in rows
    for path, digest, size in rows:
        if path.endswith("/RECORD"):
            continue
        content = (new_venv.site_packages / path).read_bytes()
        expected = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
        assert digest == f"sha256={expected}", path
        assert int(size) == len(content), path
    assert any(path.endswith("bin/pyo3-mixed-cli") for path, _, _ in rows)

    show = new_venv.pip("show", "-f", "pyo3-mixed").stdout
    assert "Editable project location: " + str(source.resolve()) in show
    version = new_venv.python_code("import importlib.metadata as m; print(m.version('pyo3-mixed'))")
    assert version.strip() == "0.1.0"


@pytest.mark.parametrize("uninstaller", ["pip", "uv"])
def test_uninstall_removes_every_file_we_wrote(
    uninstaller: str, copy_fixture: CopyFixture, new_venv: Venv
) -> None:
    if uninstaller == "uv" and shutil.which("uv") is None:
        pytest.skip("uv is not on PATH (scripts/test installs it)")
    before = tree(new_venv.root)
    source = copy_fixture("pyo3-pure")
    new_venv.maturin("develop", "-m", source / "Cargo.toml")
    assert tree(new_venv.root) != before
    if uninstaller == "pip":
        new_venv.pip("uninstall", "-y", "pyo3-pure")
    else:
        run(["uv", "pip", "uninstall", "--python", new_venv.python, "pyo3-pure"], env=new_venv.env())
    assert tree(new_venv.root) == before


def test_reinstall_over_another_version_leaves_nothing_stale(
    copy_fixture: CopyFixture, new_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    new_venv.maturin("develop", "-m", source / "Cargo.toml")
    pyproject = source / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', 'version = "0.2.0"'))
    new_venv.maturin("develop", "-m", source / "Cargo.toml")
    assert dist_info(new_venv, "pyo3_pure").name == "pyo3_pure-0.2.0.dist-info"
    version = new_venv.python_code("import importlib.metadata as m; print(m.version('pyo3-pure'))")
    assert version.strip() == "0.2.0"
    new_venv.pip("uninstall", "-y", "pyo3-pure")
    assert not list(new_venv.site_packages.glob("pyo3_pure*"))


def test_reinstall_over_a_pip_install_leaves_nothing_stale(
    copy_fixture: CopyFixture, new_venv: Venv, tmp_path: Path
) -> None:
    project = PROJECTS_BY_NAME["pyo3-mixed"]
    source = copy_fixture(project.name)
    run([MATURIN, "build", "-m", source / "Cargo.toml", "-i", new_venv.python, "-o", tmp_path / "w"])
    new_venv.pip("install", only_file(tmp_path / "w", "*.whl"))
    pip_files = set((new_venv.site_packages / "pyo3_mixed").iterdir())
    assert any(path.suffix == ".so" for path in pip_files)

    new_venv.maturin("develop", "-m", source / "Cargo.toml")
    # the mixed layout is now served from the source tree through a .pth; pip's copy is gone
    assert not (new_venv.site_packages / "pyo3_mixed").exists()
    assert_installed_project_works(new_venv, project)
    location = new_venv.python_code("import pyo3_mixed; print(pyo3_mixed.__file__)").strip()
    assert Path(location).resolve().is_relative_to(source.resolve())


def test_noop_develop_skips_everything_and_an_edit_replaces_only_the_extension(
    copy_fixture: CopyFixture, new_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    new_venv.maturin("develop", "-m", source / "Cargo.toml")
    info = dist_info(new_venv, "pyo3_pure")
    metadata_stat = (info / "METADATA").stat()

    noop = new_venv.maturin("develop", "-m", source / "Cargo.toml")
    assert "is up to date" in noop.stderr
    assert "Compiling" not in noop.stderr

    # a touch without a content change is not a change
    os.utime(source / "src" / "lib.rs")
    assert "is up to date" in new_venv.maturin("develop", "-m", source / "Cargo.toml").stderr

    set_value(source, 12)
    edit = new_venv.maturin("develop", "-m", source / "Cargo.toml")
    assert "Compiling pyo3-pure" in edit.stderr
    assert pure_value(new_venv) == "12"
    assert (info / "METADATA").stat().st_mtime_ns == metadata_stat.st_mtime_ns
    assert (info / "METADATA").stat().st_ino == metadata_stat.st_ino


def test_restored_old_copy_of_a_file_is_rebuilt(
    copy_fixture: CopyFixture, new_venv: Venv, tmp_path: Path
) -> None:
    source = copy_fixture("pyo3-pure")
    lib = source / "src" / "lib.rs"
    shutil.copy2(lib, tmp_path / "lib.rs.orig")  # keeps the old mtime
    set_value(source, 13)
    new_venv.maturin("develop", "-m", source / "Cargo.toml")
    assert pure_value(new_venv) == "13"
    shutil.copy2(tmp_path / "lib.rs.orig", lib)  # `cp -p` of the old file: old mtime
    new_venv.maturin("develop", "-m", source / "Cargo.toml")
    assert pure_value(new_venv) == "11"


def test_failed_build_names_the_error_and_keeps_the_previous_install(
    copy_fixture: CopyFixture, new_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    new_venv.maturin("develop", "-m", source / "Cargo.toml")
    lib = source / "src" / "lib.rs"
    good = lib.read_text()
    lib.write_text(good.replace("const VALUE: i64 = 11;", "const VALUE: i64 = not_a_value;"))
    failed = new_venv.maturin("develop", "-m", source / "Cargo.toml", check=False)
    assert failed.returncode == 1
    assert "not_a_value" in failed.stderr and "error" in failed.stderr
    assert pure_value(new_venv) == "11"
    lib.write_text(good.replace("= 11;", "= 14;"))
    new_venv.maturin("develop", "-m", source / "Cargo.toml")
    assert pure_value(new_venv) == "14"


def test_broken_pyproject_names_the_file_and_keeps_the_previous_install(
    copy_fixture: CopyFixture, new_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    new_venv.maturin("develop", "-m", source / "Cargo.toml")
    pyproject = source / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[project\n")
    failed = new_venv.maturin("develop", "-m", source / "Cargo.toml", check=False)
    assert failed.returncode == 1
    assert "pyproject.toml" in failed.stderr
    assert pure_value(new_venv) == "11"


def test_upstream_install_flag_uses_pip(copy_fixture: CopyFixture, new_venv: Venv) -> None:
    project = PROJECTS_BY_NAME["pyo3-mixed"]
    source = copy_fixture(project.name)
    new_venv.maturin("develop", "--upstream-install", "-m", source / "Cargo.toml")
    assert (dist_info(new_venv, "pyo3_mixed") / "INSTALLER").read_text().strip() == "pip"
    assert_installed_project_works(new_venv, project)


def spawned_programs(venv: Venv, tmp_path: Path, *args: object) -> list[str]:
    """The programs a `maturin develop` started (argv[0] basenames), traced with strace."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed (scripts/test installs it with apt-get)")
    trace = tmp_path / "trace.txt"
    strace_args = [strace, "-f", "-qq", "-s", "4096", "-e", "trace=execve", "-o", trace]
    run([*strace_args, MATURIN, "develop", *args], env=venv.env())
    programs = []
    for line in trace.read_text().splitlines():
        match = re.search(r'execve\("[^"]+", \["([^"]*)"', line)
        failed = re.search(r"= -1 \w+", line)  # PATH lookups that missed
        if match and not failed:
            programs.append(os.path.basename(match.group(1)))
    assert programs and programs[0] == "maturin", programs
    return programs[1:]


def test_noop_develop_starts_no_process(copy_fixture: CopyFixture, new_venv: Venv, tmp_path: Path) -> None:
    source = copy_fixture("pyo3-mixed")
    new_venv.maturin("develop", "-m", source / "Cargo.toml")
    assert spawned_programs(new_venv, tmp_path, "-m", source / "Cargo.toml") == []


def test_rebuild_with_satisfied_dependencies_starts_no_pip_uv_or_python(
    copy_fixture: CopyFixture, new_venv: Venv, tmp_path: Path
) -> None:
    project = PROJECTS_BY_NAME["cffi"]
    source = copy_fixture(project.name)
    new_venv.pip("install", "--quiet", "cffi")
    new_venv.maturin("develop", "-m", source / "Cargo.toml")
    set_value(source, 45)
    programs = spawned_programs(new_venv, tmp_path, "-m", source / "Cargo.toml")
    assert "cargo" in programs
    assert not {"pip", "uv"} & set(programs)
    assert new_venv.python_code("import cffi_fixture; print(cffi_fixture.lib.get_value())").strip() == "45"


def test_missing_dependencies_are_installed_with_pip(copy_fixture: CopyFixture, new_venv: Venv) -> None:
    source = copy_fixture("cffi")
    result = new_venv.maturin("develop", "-m", source / "Cargo.toml")
    assert "Installing dependencies with pip: cffi" in result.stderr
    assert new_venv.python_code("import cffi_fixture; print(cffi_fixture.lib.get_value())").strip() == "44"


def test_environment_that_is_not_a_venv_is_reported(copy_fixture: CopyFixture, tmp_path: Path) -> None:
    source = copy_fixture("pyo3-pure")
    not_a_venv = tmp_path / "nothing-here"
    not_a_venv.mkdir()
    result = Venv(not_a_venv).maturin("develop", "-m", source / "Cargo.toml", check=False)
    assert result.returncode == 1
    assert f"there is no interpreter at {not_a_venv}" in result.stderr


def test_read_only_site_packages_is_reported_and_loses_nothing(
    copy_fixture: CopyFixture, new_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    new_venv.maturin("develop", "-m", source / "Cargo.toml")
    set_value(source, 15)
    site = new_venv.site_packages
    with read_only(site, *(p for p in site.glob("pyo3_pure*") if p.is_dir())):
        failed = new_venv.maturin("develop", "-m", source / "Cargo.toml", check=False)
    assert failed.returncode == 1
    assert "is the environment read-only?" in failed.stderr and str(site) in failed.stderr
    assert pure_value(new_venv) == "11"
    # once writable again, the next develop completes the change
    new_venv.maturin("develop", "-m", source / "Cargo.toml")
    assert pure_value(new_venv) == "15"


def test_strace_parser_sees_a_real_spawn(new_venv: Venv, tmp_path: Path) -> None:
    """spawned_programs must not be blind: a develop without a previous state spawns cargo."""
    project = copy_project(FIXTURES_DIR / "pyo3-pure", tmp_path / "p")
    assert "cargo" in spawned_programs(new_venv, tmp_path, "-m", project / "Cargo.toml")


def test_concurrent_develops_of_one_project_build_once(copy_fixture: CopyFixture, new_venv: Venv) -> None:
    source = copy_fixture("pyo3-pure")
    new_venv.maturin("develop", "-m", source / "Cargo.toml")
    set_value(source, 16)
    command = [MATURIN, "develop", "-m", source / "Cargo.toml"]
    results = run_at_once([(command, new_venv.env())] * 4)
    outputs = [(result.stdout, result.stderr) for result in results]
    assert [result.returncode for result in results] == [0] * 4, outputs
    stderrs = [stderr for _, stderr in outputs]
    # one build (a Rust-only change: cargo replayed, the extension replaced), three waiters
    assert sum("Replaced the compiled module of pyo3-pure" in stderr for stderr in stderrs) == 1, stderrs
    assert sum("is up to date" in stderr for stderr in stderrs) == 3, stderrs
    assert pure_value(new_venv) == "16"


def test_extras_and_dependency_groups_install_with_a_pip_that_predates_them(
    copy_fixture: CopyFixture, new_venv: Venv
) -> None:
    """The `dev` group (with the group it includes) is resolved by develop itself and given to
    pip as plain requirements: pip 23 (what `python -m venv` brings on 3.11) has no `--group`."""
    source = copy_fixture("pyo3-pure")
    pyproject = source / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + '\n[project.optional-dependencies]\nsix = ["six>=1.10"]\n'
        + '\n[dependency-groups]\ndev = [{include-group = "Test"}, "tomli>=1.1"]\ntest = ["packaging>=20"]\n'
    )
    new_venv.pip("install", "--quiet", "pip==23.2.1")
    first = new_venv.maturin("develop", "--extras", "six", "-m", source / "Cargo.toml")
    assert "Installing dependencies with pip: six>=1.10 packaging>=20 tomli>=1.1\n" in first.stderr
    new_venv.python_code("import six, tomli, packaging")
    set_value(source, 17)
    again = new_venv.maturin("develop", "--extras", "six", "-m", source / "Cargo.toml")
    assert "Installing dependencies" not in again.stderr
    assert pure_value(new_venv) == "17"
