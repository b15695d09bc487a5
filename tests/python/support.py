"""The helpers of the test suite that are not fixtures (those are in conftest.py), each in one
place: paths, the maturin under test, running commands and Python code, venvs, copying and
editing fixture projects.

The benchmark suite (tests/bench) uses them too, from its own venv, which has no pytest: so
pytest is imported only inside the helpers that skip a test or stop the session, and importing
this module checks nothing (conftest.py checks that the maturin under test exists).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from fixture_projects import FixtureProject

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures"
TEST_WHEEL_DIR = REPO_ROOT / "target" / "test-wheel"
"""Where scripts/test builds this repository's wheel (`pip wheel --no-deps -w target/test-wheel .`)."""

UPSTREAM_VERSION = "1.16.0"
"""The upstream maturin (PyPI) this fork is a drop-in replacement for."""
UPSTREAM_IMPORT_HOOK_VERSION = "0.3.0"
"""The PyPI maturin-import-hook whose API and command line `maturin_import_hook` follows."""
XDIST = ("pytest==9.2.0", "pytest-xdist==3.8.0")
"""What a venv needs to run a pytest suite with xdist workers (see `import_in_xdist_workers`): the
versions tests/requirements.txt pins."""

NOTEBOOK = ("ipykernel==7.4.0", "nbclient==0.11.0", "nbformat==5.11.1")
"""What a venv needs to run notebooks in a real kernel (see test_notebook.py): the versions
tests/requirements.txt pins."""

CopyFixture = Callable[[str], Path]
"""The type of the `copy_fixture` fixture."""


def load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    with open(path, "rb") as file:
        return tomllib.load(file)


def cargo_version() -> str:
    """This fork's version, from the repository's Cargo.toml."""
    version: str = load_toml(REPO_ROOT / "Cargo.toml")["package"]["version"]
    return version


# --- the maturin under test ----------------------------------------------------------------


def maturin_binary() -> Path:
    """MATURIN_HOOK_BIN, else the `maturin` that `pip install .` put next to the interpreter
    that runs the tests (conftest.py stops the session when that one does not exist)."""
    override = os.environ.get("MATURIN_HOOK_BIN")
    if override:
        return Path(override)
    exe = "maturin.exe" if sys.platform == "win32" else "maturin"
    return Path(sysconfig.get_path("scripts")) / exe


MATURIN = maturin_binary()


def maturin_outside_any_venv(directory: Path) -> Path:
    """A copy of the maturin under test that is not in a venv (the binary otherwise falls back
    to the venv it is installed in)."""
    copy = directory / "bin" / MATURIN.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(MATURIN, copy)
    return copy


def check_maturin_installed() -> None:
    """Stops the test session when MATURIN was not given and is not installed."""
    if os.environ.get("MATURIN_HOOK_BIN") or MATURIN.is_file():
        return
    import pytest

    pytest.exit(
        f"{MATURIN} does not exist: run the tests with scripts/test, or `pip install .` the repo "
        "into the environment that runs pytest, or set MATURIN_HOOK_BIN",
        returncode=2,
    )


def built_wheel() -> Path | None:
    """The newest maturin-*.whl in TEST_WHEEL_DIR (the maturin binary and the
    maturin_import_hook runtime), or None."""
    wheels = sorted(TEST_WHEEL_DIR.glob("maturin-*.whl"), key=lambda path: path.stat().st_mtime)
    return wheels[-1] if wheels else None


def runtime_wheel() -> Path:
    """The wheel of this repository, built by scripts/test (or MATURIN_HOOK_WHEEL), which is
    installed into the venvs where a test uses the import hook."""
    override = os.environ.get("MATURIN_HOOK_WHEEL")
    if override:
        return Path(override)
    wheel = built_wheel()
    if wheel is None:
        import pytest

        pytest.exit(
            "no wheel in target/test-wheel: run the tests with scripts/test, or build it with "
            "`pip wheel --no-deps -w target/test-wheel .`, or set MATURIN_HOOK_WHEEL",
            returncode=2,
        )
    return wheel


# --- commands ------------------------------------------------------------------------------


@dataclass
class Result:
    """What a command did (see `run`)."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    """The wall time of the whole run."""

    def describe(self) -> str:
        return (
            f"$ {' '.join(self.args)}\nexit {self.returncode} after {self.seconds:.2f}s\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )


class CommandFailed(AssertionError):
    """A command run with `check=True` failed; an AssertionError, so that a test reports it as a
    failed check."""


def run(
    args: Sequence[object],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float = 900,
    stdin: str | None = None,
) -> Result:
    """Runs a command with its output captured (and `stdin` as its input); with `check`, a
    non-zero exit raises CommandFailed."""
    str_args = [str(arg) for arg in args]
    start = time.perf_counter()
    completed = subprocess.run(
        str_args,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.perf_counter() - start
    result = Result(str_args, completed.returncode, completed.stdout, completed.stderr, seconds)
    if check and result.returncode != 0:
        raise CommandFailed(f"command failed:\n{result.describe()}")
    return result


def run_at_once(
    commands: Sequence[tuple[Sequence[object], Mapping[str, str]]], *, timeout: float = 600
) -> list[Result]:
    """Starts every (command, environment) at once, then waits for each in turn (up to
    `timeout` seconds each); their results, in order, not checked."""
    started = time.perf_counter()
    processes = []
    for args, env in commands:
        str_args = [str(arg) for arg in args]
        process = subprocess.Popen(
            str_args, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        processes.append((str_args, process))
    results = []
    for str_args, process in processes:
        stdout, stderr = process.communicate(timeout=timeout)
        seconds = time.perf_counter() - started
        results.append(Result(str_args, process.returncode, stdout, stderr, seconds))
    return results


_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def without_colours(text: str) -> str:
    """`text` without ANSI colour codes (cargo colours its output when a build asks for it, as
    the import hook's default settings do)."""
    return _COLOUR.sub("", text)


def printed(result: Result) -> tuple[str, str]:
    """(stdout without surrounding whitespace, stderr)."""
    return result.stdout.strip(), result.stderr


# --- environments and venvs ----------------------------------------------------------------


def environment_without_venv(*, unset: Iterable[str] = (), **extra: str) -> dict[str, str]:
    """os.environ minus anything that points maturin at the test runner's own venv and minus
    `unset`, plus `extra`."""
    dropped = {"VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONHOME", *unset}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(extra)
    return env


@dataclass
class Venv:
    root: Path
    unset: tuple[str, ...] = ()
    """Variables of the runner's environment that `env()` leaves out, besides the venv ones."""

    @property
    def bin_dir(self) -> Path:
        return self.root / ("Scripts" if sys.platform == "win32" else "bin")

    @property
    def python(self) -> Path:
        return self.bin_dir / ("python.exe" if sys.platform == "win32" else "python")

    @property
    def site_packages(self) -> Path:
        out = self.python_code("import sysconfig; print(sysconfig.get_path('purelib'))")
        return Path(out.strip())

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of this venv activated (VIRTUAL_ENV; PATH is left as it is)."""
        return environment_without_venv(unset=self.unset, VIRTUAL_ENV=str(self.root), **extra)

    def python_code(self, code: str, *, cwd: Path | None = None, check: bool = True) -> str:
        """The stdout of `python(self, code)`."""
        return python(self, code, cwd=cwd, check=check).stdout

    def pip(self, *args: object, cwd: Path | None = None) -> Result:
        return run([self.python, "-m", "pip", "--disable-pip-version-check", *args], cwd=cwd, env=self.env())

    def maturin(
        self, *args: object, cwd: Path | None = None, env: Mapping[str, str] | None = None, check: bool = True
    ) -> Result:
        """Runs the maturin under test in the environment `env`, else this venv activated."""
        return run([MATURIN, *args], cwd=cwd, env=self.env() if env is None else env, check=check)


def python(
    venv: Venv,
    code: str,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    colours: bool = True,
) -> Result:
    """Runs `code` in a fresh interpreter of `venv` (`python -c`), in the environment `env`,
    else `venv.env()`. `colours=False` removes ANSI colour codes from stdout and stderr."""
    result = run([venv.python, "-c", code], cwd=cwd, env=venv.env() if env is None else env, check=check)
    if not colours:
        result.stdout = without_colours(result.stdout)
        result.stderr = without_colours(result.stderr)
    return result


def require_python(version: str) -> str:
    """An interpreter of that version (from pyenv, or on PATH), else skip the test saying why."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [str(p) for p in sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"))]
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        # a pyenv shim exists for every installed version but only runs the selected ones
        if subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0:
            return candidate
    import pytest

    pytest.skip(f"CPython {version} is not installed (looked in {pyenv_root}/versions and on PATH)")


def make_venv(root: Path, python: str | Path | None = None, with_pip: bool = True) -> Venv:
    """A fresh venv at `root` (anything there before is removed), of `python` or else of the
    interpreter running this. A venv of the running interpreter gets the pip (and setuptools)
    that `venv` would install, the interpreter's own bundled wheels, installed by uv when it is
    on PATH: 0.2 s instead of ensurepip's 3 s, for the same files."""
    if python is None or Path(python).resolve() == Path(sys.executable).resolve():
        uv, wheels = shutil.which("uv"), bundled_pip_wheels()
        by_uv = with_pip and uv is not None and wheels != []
        venv.EnvBuilder(with_pip=with_pip and not by_uv, clear=True).create(root)
        made = Venv(root)
        if by_uv:
            uv_install(str(uv), made, *wheels)
        return made
    run([python, "-m", "venv", "--clear", *([] if with_pip else ["--without-pip"]), root])
    return Venv(root)


def bundled_pip_wheels() -> list[Path]:
    """The wheels `ensurepip` installs into a new venv of the running interpreter."""
    import ensurepip

    return sorted((Path(ensurepip.__file__).parent / "_bundled").glob("*.whl"))


def make_hook_venv(root: Path, python: str | None = None) -> Venv:
    """A fresh venv with the import hook runtime installed (from the repository's wheel)."""
    env = make_venv(root, python)
    uv = shutil.which("uv")
    if uv is None:
        env.pip("install", "--quiet", "--no-deps", runtime_wheel())
    else:
        uv_install(uv, env, "--no-deps", runtime_wheel())
    return env


def uv_install(uv: str, venv: Venv, *args: object) -> None:
    """`uv pip install` into `venv`, copying files rather than hard-linking them from uv's cache
    (a test that breaks an installed file on purpose must not break the cache)."""
    run([uv, "pip", "install", "--quiet", "--link-mode=copy", "--python", venv.python, *args])


# --- projects ------------------------------------------------------------------------------


def copy_project(source: Path, destination: Path) -> Path:
    """A fresh copy of a project (anything at `destination` before is removed), without build
    output; returns `destination`.

    The copy gets new mtimes on purpose (shutil.copy, not copy2): all copies of a fixture share
    one cargo target dir, where cargo keys the crate by its workspace-relative path and compares
    mtimes, so a copy with the repo's old mtimes would be taken for another copy's newer
    (edited) build, and changed content with an old mtime would look fresh to it."""
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(
        source,
        destination,
        ignore=shutil.ignore_patterns("target", "__pycache__"),
        copy_function=shutil.copy,
    )
    return destination


def replace_in(path: Path, old: str, new: str) -> None:
    """Replaces `old`, which must be in the file, by `new`."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def set_value(source: Path, value: int, relative: str = "src/lib.rs") -> None:
    """Sets the one `const VALUE: i64 = ...;` of a fixture project copy's Rust file to `value`."""
    lib = source / relative
    text, count = re.subn(r"const VALUE: i64 = \d+;", f"const VALUE: i64 = {value};", lib.read_text())
    assert count == 1
    lib.write_text(text)


def only_file(directory: Path, pattern: str) -> Path:
    found = sorted(directory.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {directory}, found {found}"
    return found[0]


def assert_installed_project_works(venv: Venv, project: FixtureProject) -> None:
    if project.check_code is not None:
        assert venv.python_code(project.check_code).strip() == project.expected
    if project.script is not None:
        out = run([venv.bin_dir / project.script], env=venv.env()).stdout
        assert out.strip() == project.script_output


@contextlib.contextmanager
def read_only(*directories: Path) -> Iterator[None]:
    """Makes directories unwritable: `chattr +i` as root (who ignores permissions), else chmod;
    skips the test when running as root and chattr cannot do it here."""
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", *directories]).returncode != 0:
            import pytest

            pytest.skip("running as root and `chattr +i` is not available on this file system")
        try:
            yield
        finally:
            run([chattr, "-i", *directories])
    else:
        modes = {path: path.stat().st_mode for path in directories}
        try:
            for path in directories:
                path.chmod(0o555)
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)


def import_in_xdist_workers(
    venv: Venv, suite: Path, module: str, expected: int, *, cwd: Path | None = None
) -> list[str]:
    """Runs a pytest suite, written into `suite`, with 4 xdist workers in `venv` (which needs
    XDIST): its conftest.py calls `maturin_import_hook.install()` and its 8 tests each import
    `module` and check that `module.get_value() == expected`. Returns the stderr of each test
    (from the directory `logs` next to `suite`). The import hook's pytest plugin is turned off
    (it would build in the controller before the workers start): this is what the workers'
    imports do on their own, under the project lock."""
    (suite / "conftest.py").write_text("import maturin_import_hook\n\nmaturin_import_hook.install()\n")
    (suite / "test_value.py").write_text(
        "import os, pathlib, pytest\n\n"
        "@pytest.mark.parametrize('n', range(8))\n"
        "def test_value(n, capfd):\n"
        f"    import {module}\n"
        f"    assert {module}.get_value() == {expected}\n"
        "    worker = os.environ.get('PYTEST_XDIST_WORKER', 'main')\n"
        "    log = pathlib.Path(os.environ['BUILD_LOG_DIR']) / f'{worker}-{n}.txt'\n"
        "    log.write_text(capfd.readouterr().err)\n"
    )
    logs = suite.parent / "logs"
    logs.mkdir()
    result = run(
        [
            venv.python,
            "-m",
            "pytest",
            "-n",
            "4",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:maturin_import_hook",
            suite,
        ],
        cwd=cwd,
        env=venv.env(BUILD_LOG_DIR=str(logs)),
    )
    assert "8 passed" in result.stdout, result.describe()
    return [log.read_text() for log in logs.iterdir()]
