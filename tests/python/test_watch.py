"""`maturin develop --with-hook --watch`: a real watcher process on a fixture copy, real edits, and
fresh interpreters that import what it built."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest
from support import MATURIN, CopyFixture, Venv, make_hook_venv, python, replace_in, set_value, without_colours

GET = "import pyo3_pure; print(pyo3_pure.get_value())"
REBUILT = re.compile(r"✅ Rebuilt pyo3-pure in [0-9.]+s: .*src/(lib|extra)\.rs changed")
FAILED = "💥 The build failed; the last good build stays installed. Watching for the next change."


class Watcher:
    """`maturin develop --with-hook --watch` in its own session (as a terminal runs it), its output
    in a file."""

    def __init__(self, venv: Venv, project: Path, log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [MATURIN, "develop", "--with-hook", "--watch"],
            cwd=project,
            env=venv.env(),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.seen = 0
        self.wait_for("👀 Watching the", timeout=300)

    def output(self) -> str:
        return without_colours(self.log.read_text(errors="replace"))

    def wait_for(self, expected: str | re.Pattern[str], timeout: float = 60) -> str:
        """The output since the last wait, once it contains `expected`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = self.output()[self.seen :]
            found = expected.search(new) if isinstance(expected, re.Pattern) else expected in new
            if found:
                self.seen += len(new)
                return new
            assert self.process.poll() is None, f"the watcher exited:\n{self.output()}"
            time.sleep(0.05)
        raise AssertionError(f"no {expected!r} after {timeout}s; the watcher said:\n{self.output()}")

    def quiet_for(self, seconds: float) -> None:
        time.sleep(seconds)
        assert self.output()[self.seen :] == "", f"the watcher built:\n{self.output()[self.seen :]}"

    def interrupt(self) -> int:
        """Ctrl-C on a terminal: SIGINT to the whole foreground process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=30)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def hook_venv(tmp_path: Path) -> Venv:
    return make_hook_venv(tmp_path / "venv")


@pytest.fixture
def project(copy_fixture: CopyFixture) -> Path:
    return copy_fixture("pyo3-pure")


@pytest.fixture
def watcher(hook_venv: Venv, project: Path, tmp_path: Path) -> Iterator[Watcher]:
    started = Watcher(hook_venv, project, tmp_path / "watch.log")
    yield started
    started.kill()


def fresh_import(venv: Venv) -> str:
    """What a fresh interpreter imports, asserting that the import built nothing."""
    result = python(venv, GET, colours=False)
    assert result.stderr == "", f"the import built:\n{result.describe()}"
    return result.stdout.strip()


def test_a_save_is_built_before_any_import_and_only_inputs_count(
    watcher: Watcher, hook_venv: Venv, project: Path
) -> None:
    assert fresh_import(hook_venv) == "11"
    set_value(project, 12)
    built = watcher.wait_for(REBUILT)
    assert "Compiling pyo3-pure" in built and "Compiling pyo3 " not in built, built
    assert fresh_import(hook_venv) == "12"

    # a touch, and files no build reads, build nothing
    os.utime(project / "src" / "lib.rs")
    (project / "notes.md").write_text("notes\n")
    (project / ".coverage").write_text("data\n")
    (project / "src" / "scratch.txt").write_text("scratch\n")
    watcher.quiet_for(1.5)

    # a new module is watched once a build has read it
    (project / "src" / "extra.rs").write_text("pub const EXTRA: i64 = 21;\n")
    lib = project / "src" / "lib.rs"
    replace_in(lib, "const VALUE: i64 = 12;", "mod extra;\nconst VALUE: i64 = extra::EXTRA;")
    watcher.wait_for(REBUILT)
    assert fresh_import(hook_venv) == "21"
    (project / "src" / "extra.rs").write_text("pub const EXTRA: i64 = 22;\n")
    assert "src/extra.rs changed" in watcher.wait_for(REBUILT)
    assert fresh_import(hook_venv) == "22"

    assert watcher.interrupt() in (0, 130)
    assert "👋 Stopped watching" in watcher.output()


def test_a_broken_save_keeps_the_watcher_and_the_last_build(
    watcher: Watcher, hook_venv: Venv, project: Path
) -> None:
    replace_in(project / "src" / "lib.rs", "const VALUE: i64 = 11;", "const VALUE: i64 = oops;")
    failed = watcher.wait_for(FAILED)
    assert "cannot find value `oops` in this scope" in failed, failed
    # an import in between fails as it would without the watcher, with the compiler's error
    result = python(hook_venv, GET, check=False, colours=False)
    assert result.returncode != 0 and "BuildError" in result.stderr, result.describe()
    assert "cannot find value `oops`" in result.stderr, result.describe()

    replace_in(project / "src" / "lib.rs", "const VALUE: i64 = oops;", "const VALUE: i64 = 13;")
    watcher.wait_for(REBUILT)
    assert fresh_import(hook_venv) == "13"


def test_an_import_racing_the_watcher_makes_one_build(
    watcher: Watcher, hook_venv: Venv, project: Path
) -> None:
    set_value(project, 14)
    imported = python(hook_venv, GET, colours=False)  # starts within the watcher's quiet period
    assert imported.stdout.strip() == "14", imported.describe()
    time.sleep(2)
    watched = watcher.output()[watcher.seen :]
    builds = (imported.stderr + watched).count("Compiling pyo3-pure")
    assert builds == 1, f"{builds} builds\nimport:\n{imported.stderr}\nwatcher:\n{watched}"
    assert fresh_import(hook_venv) == "14"


def test_ctrl_c_during_a_build_stops_its_cargo(watcher: Watcher, project: Path) -> None:
    # a new profile setting recompiles every dependency: a build long enough to interrupt
    with (project / "Cargo.toml").open("a") as manifest:
        manifest.write("\n[profile.dev]\nopt-level = 1\n")
    watcher.wait_for("Compiling", timeout=120)
    status = watcher.interrupt()
    assert status == 130, watcher.output()
    assert "the build in progress was interrupted" in watcher.output()
    deadline = time.monotonic() + 10
    while True:
        pgrep = subprocess.run(["pgrep", "-f", str(project)], capture_output=True, text=True)
        leftover = pgrep.stdout.split()
        if not leftover or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert leftover == [], f"processes of the build are still running: {leftover}"
