"""`maturin develop --with-hook`: importing a hooked project rebuilds it first, in-process,
when a Rust input changed; every scenario runs in fresh interpreters of a fresh venv."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from fixture_projects import PROJECTS_BY_NAME
from support import (
    MATURIN,
    REPO_ROOT,
    CopyFixture,
    Result,
    Venv,
    make_hook_venv,
    python,
    replace_in,
    require_python,
    run,
    run_at_once,
    runtime_wheel,
)


def rebuilt(result: Result) -> bool:
    return "building" in result.stderr


@pytest.fixture
def mixed(copy_fixture: CopyFixture, hook_venv: Venv) -> tuple[Venv, Path]:
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml")
    return hook_venv, source


GET_ALL = (
    "import pyo3_mixed as m; print(m.get_value(), m.get_helper_value(), m.get_message().strip(), "
    "m.get_build_value())"
)


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("src/lib.rs", "VALUE: i64 = 22;", "VALUE: i64 = 23;", "23 100 hello from data 7"),
        ("src/helper.rs", "100", "101", "22 101 hello from data 7"),
        ("data/message.txt", "hello from data", "hello again", "22 100 hello again 7"),
        ("build-config.txt", "7", "8", "22 100 hello from data 8"),
        ("build.rs", "value.trim()", 'value.trim().replace("7", "70")', "22 100 hello from data 70"),
    ],
    ids=["lib.rs", "module file", "include_str file", "build script input", "build.rs"],
)
def test_edit_rebuilds_on_next_import_once(
    mixed: tuple[Venv, Path], file: str, old: str, new: str, expected: str
) -> None:
    venv, source = mixed
    first = python(venv, GET_ALL)
    assert first.stdout.strip() == "22 100 hello from data 7"
    assert not rebuilt(first), first.describe()

    replace_in(source / file, old, new)
    second = python(venv, GET_ALL)
    assert second.stdout.strip() == expected, second.describe()
    assert f'building "pyo3_mixed": {source / file} changed' in second.stderr
    third = python(venv, GET_ALL)
    assert third.stdout.strip() == expected
    assert third.stderr == "", "an up-to-date import prints nothing"


def test_feature_change_in_cargo_toml_is_a_full_develop_in_process(mixed: tuple[Venv, Path]) -> None:
    venv, source = mixed
    replace_in(source / "Cargo.toml", "default = []", 'default = ["extra"]')
    result = python(venv, "import pyo3_mixed; print(pyo3_mixed.get_extra())")
    assert result.stdout.strip() == "5", result.describe()
    assert "Cargo.toml changed" in result.stderr
    assert not rebuilt(python(venv, "import pyo3_mixed"))


def test_touch_and_unrelated_files_do_not_rebuild(mixed: tuple[Venv, Path]) -> None:
    venv, source = mixed
    python(venv, "import pyo3_mixed")
    os.utime(source / "src" / "lib.rs")
    (source / "src" / "lib.rs").write_text((source / "src" / "lib.rs").read_text())
    (source / "notes.md").write_text("not an input\n")
    (source / "src" / "unused.rs").write_text("fn never_declared() {}\n")
    (source / "python" / "pyo3_mixed" / "extra.pyi").write_text("x: int\n")
    result = python(venv, "import pyo3_mixed; print(pyo3_mixed.get_value())")
    assert result.stdout.strip() == "22"
    assert result.stderr == "", result.describe()


LOADED_NATIVE = (
    "import sys, pyo3_mixed; print(pyo3_mixed.get_value(), "
    "sorted(m for m in ('maturin_import_hook._fast', 'maturin_import_hook._native') if m in sys.modules))"
)


def test_an_up_to_date_import_loads_no_native_module(mixed: tuple[Venv, Path]) -> None:
    """The quick check (plain stats, in Python) answers an unchanged project; a touch makes
    `_fast` decide once, which writes the quick check again."""
    venv, source = mixed
    quick_check = venv.root / "share" / "maturin-hook" / "pyo3_mixed.quick-check"
    header = python(venv, "from maturin_import_hook import _finder; print(_finder.QUICK_CHECK_HEADER)")
    assert quick_check.read_text().splitlines()[0] == header.stdout.strip()
    assert python(venv, LOADED_NATIVE).stdout.strip() == "22 []"
    os.utime(source / "src" / "lib.rs")
    touched = python(venv, LOADED_NATIVE)
    assert touched.stdout.strip() == "22 ['maturin_import_hook._fast']", touched.describe()
    assert touched.stderr == ""
    assert python(venv, LOADED_NATIVE).stdout.strip() == "22 []"


def test_the_quick_check_does_not_hide_a_changed_build_environment(mixed: tuple[Venv, Path]) -> None:
    venv, _ = mixed
    # a variable of maturin's (cargo does not read it, so the rebuild compiles nothing)
    changed = python(venv, LOADED_NATIVE, env=venv.env(MATURIN_QUICK_CHECK_TEST="1"))
    assert 'MATURIN_QUICK_CHECK_TEST was unset, now "1"' in changed.stderr, changed.describe()
    # the same again, and a variable no build reads, is no change
    again = python(venv, LOADED_NATIVE, env=venv.env(MATURIN_QUICK_CHECK_TEST="1", UNRELATED="1"))
    assert again.stdout.strip() == "22 []", again.describe()
    back = python(venv, LOADED_NATIVE)
    assert 'MATURIN_QUICK_CHECK_TEST was "1", now unset' in back.stderr, back.describe()


def test_restored_old_copy_is_rebuilt(mixed: tuple[Venv, Path], tmp_path: Path) -> None:
    venv, source = mixed
    lib = source / "src" / "lib.rs"
    original = lib.read_text()
    old_stat = lib.stat()
    replace_in(lib, "VALUE: i64 = 22;", "VALUE: i64 = 29;")
    assert python(venv, "import pyo3_mixed; print(pyo3_mixed.get_value())").stdout.strip() == "29"
    # an older copy comes back with its old mtime (cp -p, an unpacked archive)
    lib.write_text(original)
    os.utime(lib, ns=(old_stat.st_atime_ns, old_stat.st_mtime_ns))
    result = python(venv, "import pyo3_mixed; print(pyo3_mixed.get_value())")
    assert result.stdout.strip() == "22", result.describe()


def test_broken_code_raises_import_error_with_diagnostics_and_keeps_the_install(
    mixed: tuple[Venv, Path],
) -> None:
    venv, source = mixed
    lib = source / "src" / "lib.rs"
    original = lib.read_text()
    replace_in(lib, "VALUE: i64 = 22;", 'VALUE: i64 = "not a number";')
    code = (
        "import maturin_import_hook.error as e\n"
        "try:\n    import pyo3_mixed\n"
        "except e.BuildError as error:\n"
        "    assert isinstance(error, ImportError)\n"
        "    print('BuildError', error.project)\n    print(str(error))\n"
    )
    result = python(venv, code)
    assert result.stdout.startswith("BuildError pyo3_mixed"), result.describe()
    assert "mismatched types" in result.stdout
    assert "src/lib.rs" in result.stdout
    lib.write_text(original)
    after = python(venv, "import pyo3_mixed; print(pyo3_mixed.get_value())")
    assert after.stdout.strip() == "22", after.describe()


def test_nothing_on_stdout_while_rebuilding(mixed: tuple[Venv, Path]) -> None:
    venv, source = mixed
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 22;", "VALUE: i64 = 24;")
    replace_in(source / "pyproject.toml", 'version = "0.1.0"', 'version = "0.1.1"')  # a full develop
    result = python(venv, "import pyo3_mixed; print(pyo3_mixed.get_value())")
    assert result.stdout == "24\n", result.describe()
    assert "Installed pyo3-mixed-0.1.1" in result.stderr
    listed = venv.pip("show", "pyo3-mixed").stdout
    assert "Version: 0.1.1" in listed


def test_reload_gives_the_new_code_in_the_same_process(mixed: tuple[Venv, Path]) -> None:
    venv, source = mixed
    lib = source / "src" / "lib.rs"
    code = f"""
import importlib, pathlib, pyo3_mixed
print(pyo3_mixed.get_value())
lib = pathlib.Path({str(lib)!r})
lib.write_text(lib.read_text().replace("VALUE: i64 = 22;", "VALUE: i64 = 25;"))
importlib.reload(pyo3_mixed)
print(pyo3_mixed.get_value())
"""
    result = python(venv, code)
    assert result.stdout.split() == ["22", "25"], result.describe()


def test_reload_of_a_top_level_extension_module(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-pure")
    hook_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml")
    lib = source / "src" / "lib.rs"
    code = f"""
import importlib, pathlib, pyo3_pure
print(pyo3_pure.get_value())
lib = pathlib.Path({str(lib)!r})
lib.write_text(lib.read_text().replace("VALUE: i64 = 11;", "VALUE: i64 = 12;"))
importlib.reload(pyo3_pure)
print(pyo3_pure.get_value())
"""
    result = python(hook_venv, code)
    assert result.stdout.split() == ["11", "12"], result.describe()
    # the reload's build ends with the line an import's build ends with
    assert 'rebuilt and loaded package "pyo3_pure"' in result.stderr, result.describe()


def test_disabled_by_environment_variable(mixed: tuple[Venv, Path]) -> None:
    venv, source = mixed
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 22;", "VALUE: i64 = 26;")
    off = python(
        venv,
        "import pyo3_mixed; print(pyo3_mixed.get_value())",
        env=venv.env(MATURIN_IMPORT_HOOK_ENABLED="0"),
    )
    assert off.stdout.strip() == "22"
    assert off.stderr == ""
    assert python(venv, "import pyo3_mixed; print(pyo3_mixed.get_value())").stdout.strip() == "26"


def test_show_warnings_off_hides_cargo_output_but_not_errors(mixed: tuple[Venv, Path]) -> None:
    venv, source = mixed
    quiet = venv.env(MATURIN_IMPORT_HOOK_SHOW_WARNINGS="0")
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 22;", "VALUE: i64 = 34;")
    result = python(venv, "import pyo3_mixed; print(pyo3_mixed.get_value())", env=quiet)
    assert result.stdout.strip() == "34"
    assert "building" in result.stderr and "Compiling" not in result.stderr, result.describe()
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 34;", 'VALUE: i64 = "x";')
    failed = python(venv, "import pyo3_mixed", env=quiet, check=False)
    assert "mismatched types" in failed.stderr, failed.describe()


def test_eight_processes_importing_one_stale_project_build_once(mixed: tuple[Venv, Path]) -> None:
    venv, source = mixed
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 22;", "VALUE: i64 = 27;")
    command = [venv.python, "-c", "import pyo3_mixed; print(pyo3_mixed.get_value())"]
    outputs = [(result.stdout, result.stderr) for result in run_at_once([(command, venv.env())] * 8)]
    assert [out.strip() for out, _ in outputs] == ["27"] * 8, outputs
    compiles = sum(err.count("Compiling pyo3-mixed") for _, err in outputs)
    assert compiles == 1, outputs


def test_processes_waiting_for_a_layout_change_import_the_new_layout(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    """The project becomes a mixed one while three processes import it: the one that builds and
    the two that wait for it all import the package as it is now (a `.pth` file and paths that
    did not exist when they started)."""
    source = copy_fixture("pyo3-pure")
    hook_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml")
    package = source / "pyo3_pure"
    package.mkdir()
    (package / "__init__.py").write_text("from .pyo3_pure import *\n\nLAYOUT = 'mixed'\n")
    command = [hook_venv.python, "-c", "import pyo3_pure; print(pyo3_pure.LAYOUT, pyo3_pure.get_value())"]
    results = run_at_once([(command, hook_venv.env())] * 3)
    assert [result.stdout.strip() for result in results] == ["mixed 11"] * 3, [r.describe() for r in results]
    assert sum(result.stderr.count('building "pyo3_pure"') for result in results) == 1, [
        r.describe() for r in results
    ]


def test_killed_rebuild_is_recovered_by_the_next_import(mixed: tuple[Venv, Path]) -> None:
    venv, source = mixed
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 22;", "VALUE: i64 = 28;")
    # a full develop, so that the kill lands in the middle of a longer build
    replace_in(source / "Cargo.toml", "default = []", 'default = ["extra"]')
    process = subprocess.Popen(
        [venv.python, "-c", "import pyo3_mixed"],
        env=venv.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline().decode()
    assert "building" in line, line
    time.sleep(0.3)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    result = python(venv, "import pyo3_mixed; print(pyo3_mixed.get_value(), pyo3_mixed.get_extra())")
    assert result.stdout.split() == ["28", "5"], result.describe()


def test_path_dependency_edit_rebuilds(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("workspace")
    hook_venv.maturin("develop", "--with-hook", "-m", source / "py" / "Cargo.toml")
    check = PROJECTS_BY_NAME["workspace"].check_code
    assert check is not None
    assert python(hook_venv, check).stdout.strip() == "77"
    core = next((source / "core" / "src").glob("*.rs"))
    replace_in(core, "77", "78")
    result = python(hook_venv, check)
    assert result.stdout.strip() == "78", result.describe()


@pytest.mark.parametrize("name", ["pyo3-abi3", "cffi", "uniffi"])
def test_other_bindings_rebuild_on_import(name: str, copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    project = PROJECTS_BY_NAME[name]
    source = copy_fixture(name)
    if project.build_requires:
        hook_venv.pip("install", "--quiet", *project.build_requires)
    hook_venv.maturin("develop", "--with-hook", "-m", source / project.manifest)
    assert project.check_code is not None
    assert python(hook_venv, project.check_code).stdout.strip() == project.expected
    replace_in(source / "src" / "lib.rs", f"= {project.expected};", f"= {project.expected}0;")
    result = python(hook_venv, project.check_code)
    assert result.stdout.strip() == f"{project.expected}0", result.describe()
    assert not rebuilt(python(hook_venv, project.check_code))


def test_bin_project_binary_is_rebuilt_when_its_package_is_imported(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    project = PROJECTS_BY_NAME["bin"]
    source = copy_fixture("bin")
    hook_venv.maturin("develop", "--with-hook", "-m", source / project.manifest)
    assert project.check_code is not None
    assert python(hook_venv, project.check_code).stdout.strip() == "bin-fixture 66"
    replace_in(source / "src" / "main.rs", "= 66;", "= 67;")
    result = python(hook_venv, project.check_code)
    assert result.stdout.strip() == "bin-fixture 67", result.describe()
    script = run([hook_venv.bin_dir / "bin-fixture"])
    assert script.stdout.strip() == "bin-fixture 67"


def test_two_hooked_projects_in_one_environment(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    mixed = copy_fixture("pyo3-mixed")
    pure = copy_fixture("pyo3-pure")
    hook_venv.maturin("develop", "--with-hook", "-m", mixed / "Cargo.toml")
    hook_venv.maturin("develop", "--with-hook", "-m", pure / "Cargo.toml")
    replace_in(mixed / "src" / "lib.rs", "VALUE: i64 = 22;", "VALUE: i64 = 31;")
    replace_in(pure / "src" / "lib.rs", "VALUE: i64 = 11;", "VALUE: i64 = 32;")
    result = python(
        hook_venv, "import pyo3_mixed, pyo3_pure; print(pyo3_mixed.get_value(), pyo3_pure.get_value())"
    )
    assert result.stdout.split() == ["31", "32"], result.describe()


def test_two_interpreter_versions_use_the_hook_at_once(
    copy_fixture: CopyFixture, hook_venv: Venv, tmp_path: Path
) -> None:
    """A CPython 3.8 venv and the default one, each with the (abi3) runtime, hook one project:
    both rebuild it at the same time, each for itself, without getting in each other's way."""
    old_venv = make_hook_venv(tmp_path / "venv38", python=require_python("3.8"))
    # its own target dir: the other interpreter's pyo3 build stays valid
    old_env = old_venv.env(CARGO_TARGET_DIR=str(REPO_ROOT / "target" / "fixtures-py38"))
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml")
    run([MATURIN, "develop", "--with-hook", "-m", source / "Cargo.toml"], env=old_env)
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 22;", "VALUE: i64 = 38;")
    code = "import sys, pyo3_mixed; print(sys.version_info[:2], pyo3_mixed.get_value())"
    results = run_at_once(
        [
            ([venv.python, "-c", code], env)
            for venv, env in ((hook_venv, hook_venv.env()), (old_venv, old_env))
        ]
    )
    outputs = [(result.stdout, result.stderr) for result in results]
    assert outputs[0][0].strip().endswith(" 38"), outputs
    assert outputs[1][0].strip() == "(3, 8) 38", outputs


def test_develop_without_hook_and_pip_uninstall_remove_the_pth(mixed: tuple[Venv, Path]) -> None:
    venv, source = mixed
    site = venv.site_packages
    quick_check = venv.root / "share" / "maturin-hook" / "pyo3_mixed.quick-check"
    assert [p.name for p in site.glob("maturin_hook-*.pth")] == ["maturin_hook-pyo3_mixed.pth"]
    assert quick_check.is_file()
    venv.maturin("develop", "-m", source / "Cargo.toml")
    assert list(site.glob("maturin_hook-*.pth")) == []
    assert not quick_check.exists()
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 22;", "VALUE: i64 = 33;")
    assert python(venv, "import pyo3_mixed; print(pyo3_mixed.get_value())").stdout.strip() == "22"
    venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml")
    assert len(list(site.glob("maturin_hook-*.pth"))) == 1
    venv.pip("uninstall", "-y", "pyo3-mixed")
    assert list(site.glob("maturin_hook-*.pth")) == []
    assert not quick_check.exists()


def test_startup_imports_nothing_heavy(mixed: tuple[Venv, Path]) -> None:
    venv, _ = mixed
    code = (
        "import sys; print(sorted(m for m in ('pathlib', 'json', 'logging', 'tomllib', 'subprocess', "
        "'typing', 'maturin_import_hook._fast', 'maturin_import_hook._native') if m in sys.modules))"
    )
    hooked = python(venv, code).stdout.strip()
    plain = python(venv, code, env=venv.env(MATURIN_IMPORT_HOOK_ENABLED="0")).stdout.strip()
    assert hooked == plain, "the hook's start-up imports differ from a plain interpreter's"
    assert "'maturin_import_hook._finder'" not in plain
    finder = python(venv, "import sys; print('maturin_import_hook._finder' in sys.modules)")
    assert finder.stdout.strip() == "True"


def test_broken_runtime_still_starts_with_one_warning_line(mixed: tuple[Venv, Path]) -> None:
    venv, _ = mixed
    finder = venv.site_packages / "maturin_import_hook" / "_finder.py"
    finder.write_text("raise RuntimeError('broken on purpose')\n")
    result = python(venv, "import pyo3_mixed; print(pyo3_mixed.get_value())")
    assert result.stdout.strip() == "22"
    assert result.stderr.count("\n") == 1, result.describe()
    assert "not watching pyo3_mixed" in result.stderr and "broken on purpose" in result.stderr


def test_with_hook_refuses_an_environment_without_the_runtime(
    copy_fixture: CopyFixture, new_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    result = new_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml", check=False)
    assert result.returncode != 0
    assert "maturin_import_hook" in result.stderr and "pip install" in result.stderr, result.describe()
    # the quickest correct way: the wheel this maturin was installed from, not a source build
    assert f"-m pip install {runtime_wheel()}" in result.stderr, result.describe()
    assert list(new_venv.site_packages.glob("maturin_hook-*.pth")) == []


def test_with_hook_names_an_upstream_runtime_it_replaces(copy_fixture: CopyFixture, new_venv: Venv) -> None:
    """A venv with PyPI's maturin-import-hook: the refusal says which version is there and how
    this maturin's wheel replaces it, not that the runtime is missing."""
    new_venv.pip("install", "--quiet", "--no-deps", "maturin-import-hook==0.3.0")
    source = copy_fixture("pyo3-pure")
    result = new_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml", check=False)
    assert result.returncode != 0
    assert "the upstream maturin_import_hook 0.3.0 (from PyPI) is installed there" in result.stderr, (
        result.describe()
    )
    assert "pip uninstall -y maturin-import-hook" in result.stderr
    assert f"-m pip install {runtime_wheel()}" in result.stderr, result.describe()
    assert list(new_venv.site_packages.glob("maturin_hook-*.pth")) == []


def test_with_hook_rejects_upstream_install() -> None:
    result = run([MATURIN, "develop", "--with-hook", "--upstream-install"], check=False)
    assert result.returncode == 2
    assert "cannot be used with" in result.stderr
