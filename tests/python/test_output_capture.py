"""A build started by an import never hangs, whatever the program does with its output meanwhile.

During an in-process full build, what the process writes to its file descriptors 1 and 2 (the
maturin crate's messages) is collected, and cargo's output comes through a channel of its own:
nothing the program writes during the build can loop back into what is being handed on. These
tests run the logging setups upstream documents (`basicConfig` + `reset_logger()`), handlers
on stdout and on `sys.__stderr__`, a thread printing all along, and a build with more output
than a pipe holds, each in a fresh interpreter with a first (full) build of a `.rs` file.

Every interpreter runs with a timeout well below pytest's: a hang fails the test with the
output so far instead of stopping CI.

All tests share one venv, so pyo3 compiles once for the module; each builds its own file."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Iterator

import pytest
from support import Result, Venv, make_hook_venv, run, without_colours

SOURCE = """use pyo3::prelude::*;

#[pyfunction]
fn get_value() -> i64 {
    VALUE
}

WARNINGS

#[pymodule]
fn NAME(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(get_value, m)?)?;
    Ok(())
}
"""

HANG_TIMEOUT = 240
"""Seconds an interpreter may take: a first build of a `.rs` file takes seconds once pyo3 is
compiled (the first test of the module compiles it)."""


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venv]:
    env = make_hook_venv(tmp_path_factory.mktemp("capture") / "venv")
    yield Venv(env.root, unset=("CARGO_TARGET_DIR",))


def write_module(directory: Path, name: str, value: int, warnings: int = 0) -> None:
    # each unused function is one compiler warning of a few hundred bytes
    unused = "\n".join(f"fn unused_{n}() {{}}" for n in range(warnings))
    text = SOURCE.replace("NAME", name).replace("VALUE", str(value)).replace("WARNINGS", unused)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.rs").write_text(text)


def import_with(venv: Venv, directory: Path, name: str, setup: str, after: str = "") -> Result:
    """Runs `setup`, then `install()` and `import name`, printing the module's value, then
    `after`."""
    code = (
        "import logging, sys, threading\n"
        f"{setup}\n"
        "import maturin_import_hook\n"
        "maturin_import_hook.install()\n"
        f"import {name}\n"
        f"print('value', {name}.get_value())\n"
        f"{after}\n"
    )
    try:
        result = run(
            [venv.python, "-c", code], cwd=directory, env=venv.env(), check=False, timeout=HANG_TIMEOUT
        )
    except subprocess.TimeoutExpired as hung:
        so_far = (hung.stderr or b"")[-3000:]
        pytest.fail(f"the import hung: no result after {HANG_TIMEOUT} s\n--- stderr so far\n{so_far!r}")
    result.stdout = without_colours(result.stdout)
    result.stderr = without_colours(result.stderr)
    assert result.returncode == 0, result.describe()
    return result


BASIC_CONFIG = (
    "logging.basicConfig(level=logging.{level}{stream})\n"
    "import maturin_import_hook\n"
    "maturin_import_hook.reset_logger()"
)


@pytest.mark.parametrize(
    ("level", "stream"),
    [("DEBUG", ""), ("INFO", ""), ("INFO", ", stream=sys.stdout")],
    ids=["debug-stderr", "info-stderr", "info-stdout"],
)
def test_upstreams_logging_setup_gets_each_line_once(
    venv: Venv, tmp_path: Path, level: str, stream: str
) -> None:
    name = f"capture_{level.lower()}_{'out' if stream else 'err'}"
    write_module(tmp_path, name, 3)
    result = import_with(venv, tmp_path, name, BASIC_CONFIG.format(level=level, stream=stream))
    logged = result.stdout if stream else result.stderr
    assert "value 3" in result.stdout
    assert logged.count(f'INFO:maturin_import_hook:building "{name}"') == 1, result.describe()
    assert logged.count(f"Compiling {name}") == 1, result.describe()
    assert logged.count(f'rebuilt and loaded module "{name}"') == 1, result.describe()
    if stream:
        assert "maturin_import_hook" not in result.stderr, result.describe()


def test_a_handler_on_the_original_stderr(venv: Venv, tmp_path: Path) -> None:
    write_module(tmp_path, "capture_dunder", 4)
    setup = (
        "class Dunder(logging.Handler):\n"
        "    def emit(self, record):\n"
        "        sys.__stderr__.write('dunder: ' + record.getMessage() + '\\n')\n"
        "        sys.__stderr__.flush()\n"
        "logging.getLogger().addHandler(Dunder())\n"
        "logging.getLogger().setLevel(logging.INFO)\n"
        "import maturin_import_hook\n"
        "maturin_import_hook.reset_logger()"
    )
    result = import_with(venv, tmp_path, "capture_dunder", setup)
    assert "value 4" in result.stdout
    assert result.stderr.count('dunder: building "capture_dunder"') == 1, result.describe()
    assert result.stderr.count("Compiling capture_dunder") == 1, result.describe()


def test_a_thread_printing_all_along_keeps_its_output(venv: Venv, tmp_path: Path) -> None:
    write_module(tmp_path, "capture_thread", 5)
    setup = (
        "stop = threading.Event()\n"
        "def chatter():\n"
        "    n = 0\n"
        "    while not stop.is_set():\n"
        "        print('chatter', n, flush=True); n += 1\n"
        "        logging.getLogger('app').warning('app %d', n)\n"
        "        stop.wait(0.002)\n"
        "    print('chatter done', n)\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "thread = threading.Thread(target=chatter); thread.start()"
    )
    result = import_with(venv, tmp_path, "capture_thread", setup, after="stop.set(); thread.join()")
    assert "value 5" in result.stdout
    lines = result.stdout.splitlines()
    chatter = [line for line in lines if line.startswith("chatter ") and line != "chatter done"]
    assert len(chatter) > 50, result.describe()
    # every line the thread printed is on stdout, in order, none lost
    numbers = [int(line.split()[1]) for line in chatter if line.split()[1].isdigit()]
    assert numbers == list(range(len(numbers))), result.describe()
    assert 'building "capture_thread"' in result.stderr
    assert "Compiling capture_thread" in result.stderr


def test_more_output_than_a_pipe_holds(venv: Venv, tmp_path: Path) -> None:
    """Thousands of warnings (far more than a pipe's 64 KiB) under upstream's logging setup."""
    write_module(tmp_path, "capture_noisy", 6, warnings=3000)
    result = import_with(venv, tmp_path, "capture_noisy", BASIC_CONFIG.format(level="INFO", stream=""))
    assert "value 6" in result.stdout
    assert "generated 3000 warnings" in result.stderr or "3000 warnings" in result.stderr, result.describe()
