"""The pytest plugin (entry point `pytest11`, `maturin_import_hook`): a real `pytest -n 2` with
pytest-xdist over a suite that imports a hooked project, with every cargo call counted by a
`cargo` wrapper first on PATH. One venv and one project are shared by the module's tests (of one
worker of this suite's own xdist run; each test starts from the project as it finds it): edit →
one build before the workers start; broken edit → one cargo attempt and one clear failure;
nothing stale → no cargo at all; `install()` in a conftest. The suite's conftest.py imports the
package, as pendulum's does: the plugin builds before any conftest is loaded."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support import (
    FIXTURES_DIR,
    XDIST,
    Result,
    copy_project,
    make_hook_venv,
    replace_in,
    run,
    set_value,
    without_colours,
)

SUITE_MODULES = 4


class Setup:
    """A venv with pytest-xdist and pyo3-pure installed by `maturin develop --with-hook` (or, with
    `conftest_install`, by `maturin develop` and a suite whose conftest.py calls `install()`)."""

    def __init__(self, root: Path, conftest_install: bool = False) -> None:
        self.root = root
        self.venv = make_hook_venv(root / "venv")
        self.venv.pip("install", "--quiet", *XDIST)
        self.source = copy_project(FIXTURES_DIR / "pyo3-pure", root / "projects" / "pyo3-pure")
        self.value = 11
        """The project's `VALUE` as the sources have it now."""
        hook = [] if conftest_install else ["--with-hook"]
        self.venv.maturin("develop", *hook, "-m", self.source / "Cargo.toml")
        self.suite = root / "suite"
        self.suite.mkdir()
        if conftest_install:
            (self.suite / "conftest.py").write_text(
                "import maturin_import_hook\n\nmaturin_import_hook.install()\n"
            )
        else:
            (self.suite / "conftest.py").write_text("import pyo3_pure  # noqa: F401\n")
        for number in range(SUITE_MODULES):
            (self.suite / f"test_module_{number}.py").write_text(
                "import os\n\nimport pyo3_pure\n\n\n"
                "def test_value():\n"
                "    assert pyo3_pure.get_value() == int(os.environ['EXPECTED'])\n"
            )
        self.cargo_log = root / "cargo-calls.txt"
        bin_dir = root / "cargo-wrapper"
        bin_dir.mkdir()
        real_cargo = shutil.which("cargo")
        assert real_cargo is not None
        wrapper = bin_dir / "cargo"
        wrapper.write_text(f'#!/bin/sh\necho "$*" >> {self.cargo_log}\nexec {real_cargo} "$@"\n')
        wrapper.chmod(0o755)
        self.path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"

    def edit(self) -> int:
        """A new `VALUE` in the sources; returns it."""
        self.value += 1
        set_value(self.source, self.value)
        return self.value

    def pytest(self, expected: int, *args: str) -> tuple[Result, list[str]]:
        """Runs `pytest -n 2` over the suite; returns its result and the cargo compilations it ran."""
        self.cargo_log.write_text("")
        result = run(
            [self.venv.python, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", *args, self.suite],
            env=self.venv.env(EXPECTED=str(expected), PATH=self.path),
            check=False,
        )
        result.stdout = without_colours(result.stdout)
        result.stderr = without_colours(result.stderr)
        calls = self.cargo_log.read_text().splitlines()
        return result, [call for call in calls if call.split()[:1] in (["build"], ["rustc"])]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    return Setup(tmp_path_factory.mktemp("pytest-plugin"))


def test_an_edit_is_built_once_before_the_workers_start(setup: Setup) -> None:
    result, compilations = setup.pytest(setup.edit())
    assert result.returncode == 0, result.describe()
    assert f"{SUITE_MODULES} passed" in result.stdout
    assert len(compilations) == 1, compilations
    # the build line and cargo's progress are in pytest's terminal output, before the workers
    assert f'building "pyo3_pure": {setup.source / "src" / "lib.rs"} changed' in result.stdout
    assert "Compiling pyo3-pure" in result.stdout, result.describe()
    assert "maturin_import_hook: rebuilt pyo3_pure in" in result.stdout
    assert result.stdout.index("rebuilt pyo3_pure") < result.stdout.index("created: 2/2 workers")
    # before the conftest.py that imports it, so before pytest's header
    assert result.stdout.index("rebuilt pyo3_pure") < result.stdout.index("test session starts")


def test_nothing_stale_runs_no_cargo_and_prints_nothing(setup: Setup) -> None:
    setup.pytest(setup.value)  # whatever an earlier test of this worker left stale
    result, compilations = setup.pytest(setup.value)
    assert result.returncode == 0 and f"{SUITE_MODULES} passed" in result.stdout, result.describe()
    assert compilations == []
    assert "maturin_import_hook" not in result.stdout + result.stderr


def test_a_broken_edit_fails_the_session_once_with_one_cargo_attempt(setup: Setup) -> None:
    lib = setup.source / "src" / "lib.rs"
    valid = f"VALUE: i64 = {setup.value};"
    replace_in(lib, valid, 'VALUE: i64 = "twelve";')
    try:
        result, compilations = setup.pytest(setup.value)
    finally:
        replace_in(lib, 'VALUE: i64 = "twelve";', valid)
    output = result.stdout + result.stderr
    # pytest's status for a session that could not start (as for a conftest that fails to import)
    assert result.returncode == 4, result.describe()
    assert len(compilations) == 1, compilations
    assert output.count("error[E0308]: mismatched types") == 1, result.describe()
    assert 'maturin_import_hook: the build of "pyo3_pure" failed' in output
    # the advice once, and none of the import's traceback through the hook's modules
    assert output.count("fix them and run pytest again") == 1, result.describe()
    assert "while loading conftest" not in output and "Traceback" not in output, result.describe()
    assert "_finder.py" not in output
    # no test module was collected, in no worker
    assert "passed" not in result.stdout and "ERROR collecting" not in output
    assert "created: 2/2 workers" not in result.stdout


def test_the_plugin_can_be_turned_off(setup: Setup) -> None:
    setup.pytest(setup.value)  # whatever an earlier test of this worker left stale
    result, compilations = setup.pytest(setup.edit(), "-p", "no:maturin_import_hook")
    assert result.returncode == 0, result.describe()
    # the workers' imports built it (under the project lock: once), not the plugin
    assert "maturin_import_hook: rebuilt" not in result.stdout
    assert len(compilations) == 1, compilations


def test_install_in_a_conftest_is_brought_up_to_date_too(tmp_path: Path) -> None:
    """An editable install without the hook and `maturin_import_hook.install()` in the suite's
    conftest.py: the plugin builds the project importer's stale projects too."""
    setup = Setup(tmp_path, conftest_install=True)
    result, compilations = setup.pytest(setup.edit())
    assert result.returncode == 0, result.describe()
    assert f"{SUITE_MODULES} passed" in result.stdout
    assert len(compilations) == 1, compilations
    assert "maturin_import_hook: rebuilt pyo3_pure in" in result.stdout
