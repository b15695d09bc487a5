"""The hook at the edges of a real setup: odd paths and locales, copied and moved environments,
deleted sources, inputs that appear, the program around an import, renames, reloads, kills,
and the messages a user reads. Every case ran into a bug once; each test shows it fixed."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
from support import (
    MATURIN,
    CopyFixture,
    Result,
    Venv,
    make_venv,
    python,
    replace_in,
    require_python,
    run,
    runtime_wheel,
)

GET_PURE = "import pyo3_pure; print(pyo3_pure.get_value())"


def hooked(venv: Venv, source: Path, *args: object) -> Result:
    return venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml", *args)


# --- a `.pth` line never stops an interpreter from starting


ODD_NAME = "prøjekt 'q\" ü 😀 # x"


@pytest.fixture
def odd_project(copy_fixture: CopyFixture, tmp_path: Path) -> Path:
    source = copy_fixture("pyo3-pure")
    odd = tmp_path / ODD_NAME / "pyo3-pure"
    odd.parent.mkdir()
    shutil.move(str(source), odd)
    return odd


def test_pth_is_ascii_and_every_interpreter_starts_under_any_locale(
    odd_project: Path, hook_venv: Venv, tmp_path: Path
) -> None:
    hooked(hook_venv, odd_project, "--config", 'env.UNUSED="""a # b\nc"""')
    (pth,) = hook_venv.site_packages.glob("maturin_hook-*.pth")
    content = pth.read_bytes()
    assert content.isascii() and content.count(b"\n") == 1, content
    show = (
        "import json, sys; from maturin_import_hook import _finder; "
        "print(json.dumps({n: json.loads(r) for n, (r, _) in _finder._watched.items()}))"
    )
    versions = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
    checked = []
    for version in versions:
        try:
            interpreter = require_python(version)
        except pytest.skip.Exception:
            continue
        venv = make_venv(tmp_path / f"venv{version}", python=interpreter, with_pip=False)
        run(["uv", "pip", "install", "--quiet", "--no-deps", "--python", venv.python, runtime_wheel()])
        shutil.copy(pth, venv.site_packages / pth.name)
        for locale in ("C", "C.UTF-8"):
            result = python(venv, show, env=venv.env(LC_ALL=locale, LANG=locale))
            watched = json.loads(result.stdout)
            assert watched["pyo3_pure"]["manifest_path"] == str(odd_project / "Cargo.toml"), result.describe()
            assert watched["pyo3_pure"]["args"][-2:] == ["--config", 'env.UNUSED="""a # b\nc"""']
            assert result.stderr == "", result.describe()
        checked.append(version)
    assert "3.11" in checked or sys.version_info[:2] != (3, 11), checked


@pytest.mark.parametrize("install", ["develop", "pip install -e", "develop --with-hook"])
def test_a_mixed_project_at_an_odd_path_keeps_start_up_working_under_the_c_locale(
    copy_fixture: CopyFixture, hook_venv: Venv, tmp_path: Path, install: str
) -> None:
    """A mixed project's editable install adds its Python source directory with a `.pth`: at a
    non-ASCII path, a plain path line would stop every interpreter under `LC_ALL=C`."""
    odd = tmp_path / ODD_NAME / "pyo3-mixed"
    odd.parent.mkdir()
    shutil.move(str(copy_fixture("pyo3-mixed")), odd)
    if install == "pip install -e":
        hook_venv.pip("install", "--quiet", "--no-build-isolation", "-e", odd)
    else:
        hook_venv.maturin(*install.split(), "-m", odd / "Cargo.toml")
    pth_files = {path.name: path.read_bytes() for path in hook_venv.site_packages.glob("*.pth")}
    assert "pyo3_mixed.pth" in pth_files, sorted(pth_files)
    assert all(content.isascii() for content in pth_files.values()), pth_files
    result = python(
        hook_venv,
        "import pyo3_mixed; print(pyo3_mixed.get_value(), pyo3_mixed.__file__)",
        env=hook_venv.env(LC_ALL="C", LANG="C"),
    )
    assert result.stdout.split()[0] == "22" and result.stderr == "", result.describe()


def test_a_project_path_with_a_line_break_is_refused_with_the_reason(
    copy_fixture: CopyFixture, hook_venv: Venv, tmp_path: Path
) -> None:
    """cargo's dep-info cannot name such files: the hook would never see an edit."""
    source = copy_fixture("pyo3-pure")
    odd = tmp_path / "two\nlines" / "pyo3-pure"
    odd.parent.mkdir()
    shutil.move(str(source), odd)
    result = hook_venv.maturin("develop", "--with-hook", "-m", odd / "Cargo.toml", check=False)
    assert result.returncode != 0
    assert "contains a line break" in result.stderr and "Rename or move the project" in result.stderr
    assert list(hook_venv.site_packages.glob("maturin_hook-*.pth")) == []


def test_rebuild_under_the_c_locale_at_an_odd_path(odd_project: Path, hook_venv: Venv) -> None:
    hooked(hook_venv, odd_project)
    replace_in(odd_project / "src" / "lib.rs", "VALUE: i64 = 11;", "VALUE: i64 = 15;")
    result = python(hook_venv, GET_PURE, env=hook_venv.env(LC_ALL="C", LANG="C"))
    assert result.stdout.strip() == "15", result.describe()


# --- the hook belongs to the environment that imports


def test_copied_environment_builds_into_itself(
    copy_fixture: CopyFixture, hook_venv: Venv, tmp_path: Path
) -> None:
    source = copy_fixture("pyo3-pure")
    hooked(hook_venv, source)
    copy = Venv(tmp_path / "venv-copy")
    run(["cp", "-a", hook_venv.root, copy.root])
    original_extension = next((hook_venv.site_packages / "pyo3_pure").glob("pyo3_pure*.so"))
    before = original_extension.stat()
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 11;", "VALUE: i64 = 16;")
    result = python(copy, GET_PURE)
    assert result.stdout.strip() == "16", result.describe()
    assert "copy or a move" in result.stderr, result.describe()
    after = original_extension.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), (
        "the original was written"
    )
    assert python(copy, GET_PURE).stderr == "", "the copy's next import is up to date"
    # the original environment rebuilds for itself, once
    assert python(hook_venv, GET_PURE).stdout.strip() == "16"


def test_moved_environment_builds_into_itself_and_creates_nothing_at_the_old_path(
    copy_fixture: CopyFixture, hook_venv: Venv, tmp_path: Path
) -> None:
    source = copy_fixture("pyo3-pure")
    hooked(hook_venv, source)
    moved = Venv(tmp_path / "venv-moved")
    shutil.move(str(hook_venv.root), moved.root)
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 11;", "VALUE: i64 = 17;")
    result = python(moved, GET_PURE)
    assert result.stdout.strip() == "17", result.describe()
    assert not hook_venv.root.exists(), "something was created at the old path"


def test_deleted_project_still_imports_its_last_build_with_one_warning(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    hooked(hook_venv, source)
    shutil.rmtree(source)
    result = python(hook_venv, GET_PURE)
    assert result.stdout.strip() == "11", result.describe()
    assert result.stderr.count("\n") == 1 and "are gone" in result.stderr, result.describe()


def test_a_project_whose_cargo_toml_is_gone_imports_its_last_build_with_one_warning(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    """A branch where the extension does not exist yet, a half-finished move: the Python half
    stays, the Rust half is gone. Like a deleted project: the last build, one warning."""
    source = copy_fixture("pyo3-mixed")
    hooked(hook_venv, source)
    (source / "Cargo.toml").unlink()
    result = python(hook_venv, "import pyo3_mixed; print(pyo3_mixed.get_value())")
    assert result.stdout.strip() == "22", result.describe()
    assert result.stderr.count("\n") == 1, result.describe()
    assert f"{source / 'Cargo.toml'} is gone" in result.stderr, result.describe()


def test_a_source_dated_in_the_future_is_built_once(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    """Clock skew, an archive from another timezone: a touch is not a change, however far
    ahead the mtime is; the content hash settles it."""
    source = copy_fixture("pyo3-pure")
    hooked(hook_venv, source)
    lib = source / "src" / "lib.rs"
    replace_in(lib, "VALUE: i64 = 11;", "VALUE: i64 = 12;")
    tomorrow = time.time() + 86400
    os.utime(lib, (tomorrow, tomorrow))
    first = python(hook_venv, GET_PURE)
    assert first.stdout.strip() == "12" and "building" in first.stderr, first.describe()
    for _ in range(2):
        again = python(hook_venv, GET_PURE)
        assert again.stdout.strip() == "12" and again.stderr == "", again.describe()


def test_a_variable_set_to_the_value_cargo_uses_anyway_is_no_change(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    hooked(hook_venv, source)
    default_home = str(Path.home() / ".cargo")
    result = python(hook_venv, GET_PURE, env=hook_venv.env(CARGO_HOME=default_home))
    assert result.stdout.strip() == "11" and result.stderr == "", result.describe()


# --- inputs that appear


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("build.rs", 'fn main() { println!("cargo:rustc-env=PYO3_PURE_VALUE=12"); }\n'),
        (".cargo/config.toml", '[env]\nPYO3_PURE_VALUE = "13"\n'),
    ],
    ids=["build.rs", "cargo config"],
)
def test_an_input_that_appears_is_a_change(
    path: str, content: str, copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    # from the project directory: cargo reads its configuration from where it runs
    run([MATURIN, "develop", "--with-hook"], cwd=source, env=hook_venv.env())
    (source / path).parent.mkdir(exist_ok=True)
    (source / path).write_text(content)
    expected = "12" if path == "build.rs" else "13"
    result = python(hook_venv, GET_PURE)
    assert result.stdout.strip() == expected, result.describe()
    assert f"{source / path} appeared" in result.stderr
    # and `maturin develop` sees it too
    (source / path).write_text(content.replace(expected, "14"))
    develop = run([MATURIN, "develop", "--with-hook"], cwd=source, env=hook_venv.env())
    assert "up to date" not in develop.stderr, develop.describe()
    assert python(hook_venv, GET_PURE).stdout.strip() == "14"


# --- a full rebuild started by an import


PRINTING_THREAD = """
import sys, threading, time
done = threading.Event()
def chatter():
    while not done.is_set():
        print("tick", flush=True)
        time.sleep(0.01)
thread = threading.Thread(target=chatter)
thread.start()
time.sleep(0.05)
import pyo3_pure
done.set(); thread.join()
print("value", pyo3_pure.get_value())
"""


def test_a_full_rebuild_moves_none_of_the_programs_output(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-pure")
    hooked(hook_venv, source)
    replace_in(source / "pyproject.toml", 'version = "0.1.0"', 'version = "0.1.1"')
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 11;", "VALUE: i64 = 18;")
    result = python(hook_venv, PRINTING_THREAD)
    lines = result.stdout.splitlines()
    assert lines[-1] == "value 18", result.describe()
    assert set(lines[:-1]) == {"tick"} and len(lines) > 5, result.describe()
    assert "tick" not in result.stderr, result.describe()
    assert "Installed pyo3-pure-0.1.1" in result.stderr


def test_a_full_rebuild_sees_the_projects_cargo_config_from_any_directory(
    copy_fixture: CopyFixture, hook_venv: Venv, tmp_path: Path
) -> None:
    source = copy_fixture("pyo3-pure")
    (source / ".cargo").mkdir()
    (source / ".cargo" / "config.toml").write_text('[env]\nPYO3_PURE_VALUE = "42"\n')
    run([MATURIN, "develop", "--with-hook"], cwd=source, env=hook_venv.env())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    replace_in(source / "pyproject.toml", 'version = "0.1.0"', 'version = "0.1.1"')
    code = (
        "import os; before = os.getcwd(); import pyo3_pure\n"
        "print(pyo3_pure.get_value(), os.getcwd() == before)"
    )
    result = run([hook_venv.python, "-c", code], cwd=elsewhere, env=hook_venv.env())
    assert result.stdout.split() == ["42", "True"], result.describe()
    assert "Installed pyo3-pure-0.1.1" in result.stderr


def test_satisfied_dependency_groups_start_no_pip(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-pure")
    with (source / "pyproject.toml").open("a") as pyproject:
        pyproject.write(
            '\n[dependency-groups]\ndev = [{include-group = "test"}, "tomli>=1"]\ntest = ["packaging"]\n'
        )
    hook_venv.pip("install", "--quiet", "--upgrade", "pip>=25.1")
    first = hooked(hook_venv, source)
    assert "Installing dependencies" in first.stderr, first.describe()
    replace_in(source / "pyproject.toml", 'version = "0.1.0"', 'version = "0.1.1"')
    result = python(hook_venv, GET_PURE)
    assert result.stdout.strip() == "11", result.describe()
    assert "Installed pyo3-pure-0.1.1" in result.stderr
    assert "Installing dependencies" not in result.stderr and "already satisfied" not in result.stderr


# --- renames and reloads


def test_a_renamed_module_is_followed_and_named(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-pure")
    hooked(hook_venv, source)
    replace_in(source / "Cargo.toml", 'name = "pyo3_pure"', 'name = "pyo3_renamed"')
    replace_in(source / "src" / "lib.rs", "fn pyo3_pure(", "fn pyo3_renamed(")
    code = (
        "try:\n    import pyo3_pure\nexcept ModuleNotFoundError as error:\n    print('not found:', error)\n"
        "import pyo3_renamed; print(pyo3_renamed.get_value())"
    )
    result = python(hook_venv, code)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("not found:") and '"pyo3_renamed"' in lines[0], result.describe()
    assert lines[1] == "11", result.describe()
    assert 'rebuilt and loaded package "pyo3_pure"' not in result.stderr
    assert python(hook_venv, "import pyo3_renamed").stderr == ""


RELOAD_LAYOUTS = {
    "from . import _native": ("from . import _native\n\ndef get_value():\n    return _native.get_value()\n"),
    "from ._native import": "from ._native import get_value\n",
    "from pyo3_mixed._native import *": "from pyo3_mixed._native import *  # noqa\n",
}


@pytest.mark.parametrize("layout", list(RELOAD_LAYOUTS))
def test_reload_gives_the_new_code(layout: str, copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-mixed")
    (source / "python" / "pyo3_mixed" / "__init__.py").write_text(RELOAD_LAYOUTS[layout])
    hooked(hook_venv, source)
    lib = source / "src" / "lib.rs"
    code = f"""
import importlib, pathlib, pyo3_mixed
print(pyo3_mixed.get_value())
lib = pathlib.Path({str(lib)!r})
lib.write_text(lib.read_text().replace("VALUE: i64 = 22;", "VALUE: i64 = 23;"))
importlib.reload(pyo3_mixed)
print(pyo3_mixed.get_value())
"""
    result = python(hook_venv, code)
    assert result.stdout.split() == ["22", "23"], result.describe()


# --- installed copies that go stale


def test_develop_refreshes_copied_files_the_hook_ignores(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-pure")
    (source / "pyo3_pure.pyi").write_text("def get_value() -> int: ...\n")
    (source / "README.md").write_text("first readme\n")
    replace_in(source / "pyproject.toml", 'version = "0.1.0"', 'version = "0.1.0"\nreadme = "README.md"')
    hooked(hook_venv, source)
    stub = hook_venv.site_packages / "pyo3_pure" / "__init__.pyi"
    assert stub.read_text() == "def get_value() -> int: ...\n"
    (source / "pyo3_pure.pyi").write_text("def get_value() -> float: ...\n")
    (source / "README.md").write_text("second readme\n")
    assert python(hook_venv, GET_PURE).stderr == "", "not inputs of the import"
    develop = hooked(hook_venv, source)
    assert "up to date" not in develop.stderr, develop.describe()
    assert stub.read_text() == "def get_value() -> float: ...\n"
    metadata = next(hook_venv.site_packages.glob("pyo3_pure-*.dist-info")) / "METADATA"
    assert "second readme" in metadata.read_text()


# --- kills and leftovers


def cargo_processes_under(directory: Path) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if command and command[0].endswith(b"cargo") and str(directory).encode() in b" ".join(command):
            found.append(proc.name)
    return found


def build_script_running_in(directory: Path) -> bool:
    """Whether a build script runs with `directory` as its working directory (cargo runs a
    package's build script in the package's directory)."""
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if command[0].endswith(b"build-script-build") and cwd == str(directory):
            return True
    return False


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
@pytest.mark.parametrize("kind", ["replay", "full"])
def test_a_killed_importers_cargo_dies_with_it(
    kind: str, copy_fixture: CopyFixture, hook_venv: Venv, tmp_path: Path
) -> None:
    source = copy_fixture("pyo3-mixed")
    hooked(hook_venv, source)
    # a slow build: a build script that sleeps, so that the kill lands while cargo runs
    replace_in(
        source / "build.rs",
        "fn main() {",
        "fn main() {\n    std::thread::sleep(std::time::Duration::from_secs(30));",
    )
    if kind == "full":
        replace_in(source / "pyproject.toml", 'version = "0.1.0"', 'version = "0.1.1"')
    temp = tmp_path / "temp"
    temp.mkdir()
    process = subprocess.Popen(
        [hook_venv.python, "-c", "import pyo3_mixed"],
        env=hook_venv.env(TMPDIR=str(temp)),
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    # killed while the build script sleeps: a kill while the compiler links leaves the linker's
    # temporary files behind (collect2 cleans up on SIGTERM, not when its parent goes)
    deadline = time.monotonic() + 120
    while not build_script_running_in(source) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cargo_processes_under(source), "cargo never started"
    assert build_script_running_in(source), "the build script never ran"
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while cargo_processes_under(source) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cargo_processes_under(source) == [], "cargo outlived the importer that started it"
    assert list(temp.iterdir()) == [], "the killed build left files in the temp dir"
    # what cargo ran (the sleeping build script) is killed by the next build
    replace_in(source / "build.rs", "std::thread::sleep(std::time::Duration::from_secs(30));", "")
    rebuilt = python(hook_venv, "import pyo3_mixed")
    assert not build_script_running_in(source), rebuilt.describe()


@pytest.mark.skipif(sys.platform != "linux", reason="POSIX signals and /proc")
@pytest.mark.parametrize("to", ["process", "process group"])
def test_ctrl_c_during_an_imports_build_raises_keyboard_interrupt(
    to: str, copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    """SIGINT to the process (Jupyter's "interrupt kernel") or to its process group (a
    terminal's Ctrl-C) while an import builds: KeyboardInterrupt at once, not a BuildError
    after the build, no process of the build left, the lock released."""
    source = copy_fixture("pyo3-mixed")
    hooked(hook_venv, source)
    replace_in(
        source / "build.rs",
        "fn main() {",
        "fn main() {\n    std::thread::sleep(std::time::Duration::from_secs(60));",
    )
    code = (
        "import time\nstarted = time.monotonic()\n"
        "try:\n    import pyo3_mixed\n"
        "except KeyboardInterrupt:\n    print('KeyboardInterrupt after', time.monotonic() - started)\n"
    )
    process = subprocess.Popen(
        [hook_venv.python, "-c", code],
        env=hook_venv.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not build_script_running_in(source) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert build_script_running_in(source), "the build script never ran"
    interrupted = time.monotonic()
    if to == "process":
        process.send_signal(signal.SIGINT)
    else:
        os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert time.monotonic() - interrupted < 10, stderr
    assert stdout.startswith("KeyboardInterrupt after"), (stdout, stderr)
    assert "BuildError" not in stderr and "Failed to build" not in stderr, stderr
    assert not build_script_running_in(source) and cargo_processes_under(source) == []
    # the lock is free: the next import builds at once
    replace_in(source / "build.rs", "std::thread::sleep(std::time::Duration::from_secs(60));", "")
    result = python(hook_venv, "import pyo3_mixed; print(pyo3_mixed.get_value())")
    assert result.stdout.strip() == "22", result.describe()


# --- messages


def test_missing_cargo_on_the_replay_path_is_a_build_error_naming_it(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    hooked(hook_venv, source)
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 11;", "VALUE: i64 = 19;")
    code = (
        "from maturin_import_hook.error import BuildError\n"
        "try:\n    import pyo3_pure\nexcept BuildError as error:\n    print(error)\n"
    )
    result = python(hook_venv, code, env=hook_venv.env(PATH=str(hook_venv.bin_dir)))
    assert result.stdout.startswith("Failed to build package with maturin"), result.describe()
    assert "cargo was not found" in result.stdout and str(hook_venv.bin_dir) in result.stdout


def test_waiters_say_they_found_it_rebuilt(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-pure")
    hooked(hook_venv, source)
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 11;", "VALUE: i64 = 20;")
    processes = [
        subprocess.Popen(
            [hook_venv.python, "-c", GET_PURE],
            env=hook_venv.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=600) for process in processes]
    assert [out.strip() for out, _ in outputs] == ["20"] * 3, outputs
    errors = [err for _, err in outputs]
    assert sum("rebuilt and loaded package" in err for err in errors) == 1, errors
    waiters = [err for err in errors if "waiting on lock" in err]
    assert waiters and all("rebuilt by another process" in err for err in waiters), errors
    # whom they wait for: the builder wrote it into the lock file
    (builder,) = [p for p, err in zip(processes, errors) if "rebuilt and loaded package" in err]
    holder = f": process {builder.pid} (python -c {GET_PURE}), building since"
    assert all(holder in err for err in waiters), errors


def test_a_failed_build_shows_the_compilers_errors_once(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-pure")
    hooked(hook_venv, source)
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 11;", 'VALUE: i64 = "eleven";')
    result = python(hook_venv, "import pyo3_pure", check=False)
    assert result.returncode != 0
    assert result.stderr.count("mismatched types") == 1, result.describe()
    assert "Failed to build package with maturin" in result.stderr


def test_thousands_of_warnings_show_their_start_and_where_all_of_them_are(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    hooked(hook_venv, source)
    (source / "build.rs").write_text(
        'fn main() { for i in 0..3000 { println!("cargo:warning=noisy line {i}"); } }\n'
    )
    result = python(hook_venv, GET_PURE)
    assert result.stdout.strip() == "11", result.describe()
    assert result.stderr.count("noisy line") <= 210, result.describe()
    assert "noisy line 0" in result.stderr and "noisy line 2999" in result.stderr
    shown = [line for line in result.stderr.splitlines() if "more lines" in line]
    assert len(shown) == 1, result.describe()
    log = Path(shown[0].rsplit("all of them are in ", 1)[1])
    assert "noisy line 2999" in log.read_text()


@contextlib.contextmanager
def another_build_holds_the_lock(venv: Venv) -> Iterator[None]:
    """The lock of the one hooked project of `venv`, held as another build would hold it, but
    without saying who holds it."""
    import fcntl

    status = json.loads(run([MATURIN, "import-hook", "status", "--format", "json"], env=venv.env()).stdout)
    (state_dir,) = [project["state_dir"] for project in status]
    with open(Path(state_dir) / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def test_the_wait_for_another_build_is_bounded_by_the_environment_variable_it_names(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    hooked(hook_venv, source)
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 11;", "VALUE: i64 = 21;")
    with another_build_holds_the_lock(hook_venv):
        code = (
            "from maturin_import_hook.error import ImportHookError\n"
            "try:\n    import pyo3_pure\nexcept ImportHookError as error:\n    print(error)\n"
        )
        result = python(hook_venv, code, env=hook_venv.env(MATURIN_IMPORT_HOOK_LOCK_TIMEOUT="1"))
    assert result.seconds < 30, result.describe()
    assert "timed out after 1 seconds" in result.stdout, result.describe()
    assert "MATURIN_IMPORT_HOOK_LOCK_TIMEOUT" in result.stdout
    assert python(hook_venv, GET_PURE).stdout.strip() == "21"


def test_a_long_wait_for_another_build_says_it_still_waits(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    hooked(hook_venv, source)
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 11;", "VALUE: i64 = 22;")
    with another_build_holds_the_lock(hook_venv):
        env = hook_venv.env(MATURIN_IMPORT_HOOK_LOCK_TIMEOUT="11")
        result = python(hook_venv, "import pyo3_pure", env=env, check=False)
    assert "waiting on lock" in result.stderr, result.describe()
    assert 'still waiting for another build of "pyo3_pure" (10 s)' in result.stderr, result.describe()
    assert "timed out after 11 seconds" in result.stderr
