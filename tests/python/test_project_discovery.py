"""How the project importer of `maturin_import_hook.install()` finds projects beyond editable
installs (a maturin project at or above a sys.path entry, `enable_automatic_installation`), and
the install() options that change where and on what it decides: `build_dir`, `file_searcher`."""

from __future__ import annotations

from pathlib import Path

from support import CopyFixture, Venv, printed, python, replace_in, run, set_value

IMPORT_VALUE = "import pyo3_mixed; print(pyo3_mixed.get_value())"


def install_and_import(options: str = "", before_import: str = "") -> str:
    return (
        f"import maturin_import_hook\nmaturin_import_hook.install({options})\n{before_import}{IMPORT_VALUE}"
    )


def test_automatic_installation_installs_the_project_the_program_runs_in(
    copy_fixture: CopyFixture, hook_venv: Venv, tmp_path: Path
) -> None:
    source = copy_fixture("pyo3-mixed")
    code = install_and_import("enable_automatic_installation=True")
    # sys.path[0] is the project directory: the project is found there and installed
    out, err = printed(python(hook_venv, code, cwd=source))
    assert out == "22", err
    assert 'rebuilt and loaded package "pyo3_mixed"' in err
    # it is an editable install now: a program elsewhere, without the importer, imports it
    assert python(hook_venv, IMPORT_VALUE, cwd=tmp_path).stdout.strip() == "22"
    listed = run([hook_venv.python, "-m", "pip", "list", "--editable"], env=hook_venv.env()).stdout
    assert "pyo3-mixed" in listed
    # from a sub-directory of the project, after an edit
    set_value(source, 51)
    out, err = printed(python(hook_venv, code, cwd=source / "src"))
    assert out == "51", err


def test_without_automatic_installation_a_project_that_is_not_installed_is_left_alone(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    source = copy_fixture("pyo3-mixed")
    debug_log = (
        "import logging\nmaturin_import_hook.reset_logger()\nlogging.basicConfig(level=logging.DEBUG)\n"
    )
    code = install_and_import(before_import=debug_log)
    result = python(hook_venv, code, cwd=source, check=False)
    err = result.stderr
    assert result.returncode != 0
    assert "ModuleNotFoundError: No module named 'pyo3_mixed'" in err
    assert "is not already installed and enable_automatic_installation=False" in err, err
    assert "Compiling" not in err


def test_a_broken_pyproject_above_sys_path_is_reported_and_skipped(hook_venv: Venv, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[build-system\nbuild-backend = 'maturin'\n")
    code = "import maturin_import_hook; maturin_import_hook.install()\nimport json; print('ok')"
    out, err = printed(python(hook_venv, code, cwd=tmp_path))
    assert out == "ok"
    assert "failed to resolve project" in err and "pyproject.toml is not a valid pyproject.toml" in err


def test_build_dir_holds_the_importers_state(
    copy_fixture: CopyFixture, hook_venv: Venv, tmp_path: Path
) -> None:
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    build_dir = tmp_path / "hook-build"
    code = install_and_import(f"build_dir={str(build_dir)!r}")
    set_value(source, 52)
    out, err = printed(python(hook_venv, code))
    assert out == "52", err
    assert 'rebuilt and loaded package "pyo3_mixed"' in err
    assert list(build_dir.glob("projects/*/develop.json")), sorted(build_dir.rglob("*"))
    out, err = printed(python(hook_venv, code))
    assert (out, err) == ("52", "")


def test_a_file_searcher_adds_its_files_to_the_inputs(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    notes = source / "notes.txt"
    notes.write_text("first\n")
    searched = (
        "import maturin_import_hook\n"
        "from maturin_import_hook.project_importer import DefaultProjectFileSearcher\n"
        "maturin_import_hook.install(file_searcher=DefaultProjectFileSearcher())\n"
        f"{IMPORT_VALUE}"
    )
    plain = install_and_import()
    # the first import with the searcher builds (its list is new), the next one does not
    assert 'rebuilt and loaded package "pyo3_mixed"' in python(hook_venv, searched).stderr
    assert printed(python(hook_venv, searched)) == ("22", "")
    notes.write_text("second\n")
    out, err = printed(python(hook_venv, searched))
    assert out == "22" and 'rebuilt and loaded package "pyo3_mixed"' in err, err
    assert printed(python(hook_venv, searched)) == ("22", "")
    # without the searcher, notes.txt is no input (the first such import rebuilds: other settings)
    python(hook_venv, plain)
    notes.write_text("third\n")
    assert printed(python(hook_venv, plain)) == ("22", "")


def test_an_up_to_date_import_loads_only_the_light_native_module(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    """The first import with these settings confirms them with the full develop; from then on
    the light `_fast` module decides alone (no maturin crate, no JSON parser), and rebuilds a
    Rust-only change alone too."""
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    report = (
        "import sys; print(sorted(m for m in ('json', 'maturin_import_hook._native') if m in sys.modules))\n"
    )
    python(hook_venv, install_and_import())
    out, err = printed(python(hook_venv, install_and_import() + "\n" + report))
    assert out.splitlines() == ["22", "[]"], err
    # a Rust-only edit is replayed by the light module too
    set_value(source, 53)
    out, err = printed(python(hook_venv, install_and_import() + "\n" + report))
    assert out.splitlines() == ["53", "[]"], err
    # a manifest change needs the maturin crate
    replace_in(source / "pyproject.toml", 'version = "0.1.0"', 'version = "0.1.1"')
    out, err = printed(python(hook_venv, install_and_import() + "\n" + report))
    assert out.splitlines() == ["53", "['maturin_import_hook._native']"], err
