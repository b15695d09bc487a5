"""The `.rs` file importer of `maturin_import_hook.install()`: `import my_script` builds a standalone
`my_script.rs` in-process into the build cache, rebuilds it after an edit, reloads it, and every
file's generated project shares one cargo target directory, so pyo3 is compiled once.

All tests share one venv (so pyo3 is compiled once for the module); each uses its own files."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import pytest
from support import XDIST, Venv, import_in_xdist_workers, make_hook_venv, python, without_colours

SOURCE = """use pyo3::prelude::*;

const VALUE: i64 = 1;

#[pyfunction]
fn get_value() -> i64 {
    VALUE
}

#[pyfunction]
fn flavour() -> &'static str {
    if cfg!(feature = "extra") { "extra" } else { "plain" }
}

#[pymodule]
fn NAME(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(get_value, m)?)?;
    m.add_function(wrap_pyfunction!(flavour, m)?)?;
    Ok(())
}
"""

INSTALL = "import maturin_import_hook; maturin_import_hook.install()\n"


@pytest.fixture(scope="module")
def rs_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venv]:
    env = make_hook_venv(tmp_path_factory.mktemp("rs") / "venv")
    # the .rs file importer uses its own shared target directory, not the fixtures' one
    yield Venv(env.root, unset=("CARGO_TARGET_DIR",))


def write_module(directory: Path, name: str, value: int = 1) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.rs"
    path.write_text(SOURCE.replace("NAME", name).replace("VALUE: i64 = 1;", f"VALUE: i64 = {value};"))
    return path


def test_second_file_does_not_compile_pyo3_again(rs_venv: Venv, tmp_path: Path) -> None:
    write_module(tmp_path, "first_script")
    write_module(tmp_path, "second_script")
    timings = []
    for name in ("first_script", "second_script"):
        started = time.perf_counter()
        result = python(
            rs_venv, f"{INSTALL}import {name}; print({name}.get_value())", cwd=tmp_path, colours=False
        )
        timings.append(time.perf_counter() - started)
        assert result.stdout == "1\n", result.describe()
        assert f'rebuilt and loaded module "{name}"' in result.stderr
        assert f"Compiling {name}_" in result.stderr, result.describe()
    print(f"cold builds: first .rs file {timings[0]:.2f}s, second {timings[1]:.2f}s")
    assert "Compiling pyo3 " not in result.stderr, result.describe()


def test_edit_rebuilds_once_and_reload_gives_the_new_code(rs_venv: Venv, tmp_path: Path) -> None:
    source = write_module(tmp_path, "my_script")
    code = f"{INSTALL}import my_script; print(my_script.get_value())"
    assert python(rs_venv, code, cwd=tmp_path, colours=False).stdout == "1\n"
    up_to_date = python(rs_venv, code, cwd=tmp_path, colours=False)
    assert (up_to_date.stdout, up_to_date.stderr) == ("1\n", "")
    source.write_text(source.read_text().replace("VALUE: i64 = 1;", "VALUE: i64 = 2;"))
    rebuilt = python(rs_venv, code, cwd=tmp_path, colours=False)
    assert rebuilt.stdout == "2\n"
    assert "my_script.rs changed" in rebuilt.stderr
    assert "Compiling pyo3 " not in rebuilt.stderr
    assert python(rs_venv, code, cwd=tmp_path, colours=False).stderr == ""
    reload = f"""{INSTALL}
import importlib, pathlib
import my_script
print(my_script.get_value())
path = pathlib.Path("my_script.rs")
path.write_text(path.read_text().replace("VALUE: i64 = 2;", "VALUE: i64 = 3;"))
importlib.reload(my_script)
print(my_script.get_value())
"""
    assert python(rs_venv, reload, cwd=tmp_path, colours=False).stdout.split() == ["2", "3"]


def test_module_in_a_package_imported_relatively(rs_venv: Venv, tmp_path: Path) -> None:
    package = tmp_path / "pkg" / "sub"
    write_module(package, "helper", value=7)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "user.py").write_text("from . import helper\nVALUE = helper.get_value()\n")
    code = f"{INSTALL}import pkg.sub.user as u; print(u.VALUE, u.helper.__name__)"
    result = python(rs_venv, code, cwd=tmp_path, colours=False)
    assert result.stdout == "7 pkg.sub.helper\n", result.describe()


def test_features_come_from_the_settings(rs_venv: Venv, tmp_path: Path) -> None:
    write_module(tmp_path, "flavoured")
    code = (
        "import maturin_import_hook\n"
        "from maturin_import_hook.settings import MaturinSettings\n"
        "maturin_import_hook.install(settings=MaturinSettings(features=FEATURES))\n"
        "import flavoured; print(flavoured.flavour())\n"
    )
    extra = python(rs_venv, code.replace("FEATURES", '["extra"]'), cwd=tmp_path, colours=False)
    assert extra.stdout == "extra\n"
    plain = python(rs_venv, code.replace("FEATURES", "None"), cwd=tmp_path, colours=False)
    assert plain.stdout == "plain\n"


def test_a_compile_error_is_an_import_error_with_rustc_message(rs_venv: Venv, tmp_path: Path) -> None:
    source = write_module(tmp_path, "broken")
    source.write_text(source.read_text().replace("VALUE\n}", '"not a number"\n}'))
    code = f"""{INSTALL}
from maturin_import_hook.error import BuildError
try:
    import broken
except BuildError as error:
    assert isinstance(error, ImportError)
    print(error)
"""
    result = python(rs_venv, code, cwd=tmp_path, colours=False)
    assert "error[E0308]: mismatched types" in result.stdout, result.describe()
    assert "broken.rs:" in result.stdout


def test_rs_files_are_listed_once_per_directory(tmp_path: Path) -> None:
    """No build here: which files exist is cached until importlib.invalidate_caches()."""
    rust_file_importer = pytest.importorskip("maturin_import_hook.rust_file_importer")
    importer = rust_file_importer.MaturinRustFileImporter()
    assert importer.find_spec("late", [str(tmp_path)]) is None
    write_module(tmp_path, "late")
    assert importer.find_spec("late", [str(tmp_path)]) is None
    importer.invalidate_caches()
    assert importer._find_rs_file("late", [str(tmp_path)]) == str(tmp_path / "late.rs")


def test_xdist_workers_importing_one_stale_rs_file_build_it_once(rs_venv: Venv, tmp_path: Path) -> None:
    rs_venv.pip("install", "--quiet", *XDIST)
    suite = tmp_path / "suite"
    write_module(suite, "xdist_script", 5)
    python(rs_venv, INSTALL + "import xdist_script", cwd=suite, colours=False)
    write_module(suite, "xdist_script", 6)  # stale for every worker
    logged = import_in_xdist_workers(rs_venv, suite, "xdist_script", 6, cwd=suite)
    # the default settings ask cargo for colour (as upstream's do)
    stderrs = [without_colours(err) for err in logged]
    assert sum(err.count("Compiling xdist_script") for err in stderrs) == 1, "\n---\n".join(stderrs)


RELOCATING_GENERATOR = (
    "    def generate_project_for_single_rust_file(self, module_path, project_dir, rust_file, settings):\n"
    "        return super().generate_project_for_single_rust_file(\n"
    "            module_path, project_dir / 'custom', rust_file, settings)\n"
)


@pytest.mark.parametrize("relocated", [False, True], ids=["own-project", "generator-moves-project"])
def test_an_overridden_find_maturin_builds_with_that_binary(
    rs_venv: Venv, tmp_path: Path, relocated: bool
) -> None:
    """A subclass written for upstream that names its maturin gets its builds made by it (also
    when its project generator puts the project elsewhere than suggested)."""
    calls = tmp_path / "calls.txt"
    wrapper = tmp_path / "my-maturin"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec {rs_venv.bin_dir / "maturin"} "$@"\n')
    wrapper.chmod(0o755)
    rs_file = write_module(tmp_path / "scripts", "by_binary", value=3)
    code = (
        "import sys, pathlib\n"
        "from maturin_import_hook import rust_file_importer as r\n"
        "class MyImporter(r.MaturinRustFileImporter):\n"
        f"    def find_maturin(self): return pathlib.Path({str(wrapper)!r})\n"
        + (RELOCATING_GENERATOR if relocated else "")
        + "sys.meta_path.insert(0, MyImporter())\n"
        "import by_binary; print(by_binary.get_value())\n"
    )
    scripts = rs_file.parent
    result = python(rs_venv, code, cwd=scripts, colours=False)
    assert result.stdout == "3\n", result.describe()
    (call,) = calls.read_text().splitlines()
    assert call.startswith("build --manifest-path ") and f"--interpreter {rs_venv.python}" in call
    assert ("/custom/Cargo.toml " in call) == relocated, call
    # up to date: the binary is not run again
    assert python(rs_venv, code, cwd=scripts, colours=False).stdout == "3\n"
    assert len(calls.read_text().splitlines()) == 1
    time.sleep(0.05)  # a newer mtime than the extension's
    write_module(scripts, "by_binary", value=4)
    result = python(rs_venv, code, cwd=scripts, colours=False)
    assert result.stdout == "4\n", result.describe()
    assert len(calls.read_text().splitlines()) == 2


def test_an_up_to_date_import_does_not_load_the_maturin_crate(rs_venv: Venv, tmp_path: Path) -> None:
    write_module(tmp_path, "settled", value=8)
    code = (
        INSTALL
        + "import settled, sys; print(settled.get_value(), 'maturin_import_hook._native' in sys.modules)\n"
    )
    assert python(rs_venv, code, cwd=tmp_path, colours=False).stdout == "8 True\n"
    assert python(rs_venv, code, cwd=tmp_path, colours=False).stdout == "8 False\n"
