"""Every binding kind of maturin's test crates, built by an import in-process, not only by
`maturin develop`: pyo3 (pure, mixed, a workspace with a path dependency, stub generation),
cffi (pure, mixed), uniffi (proc-macro with its own bindgen, and UDL files whose bindgen comes
from PATH and runs `$CARGO metadata`, pure and mixed) and a binary.

Each project is installed by its first import (`install(enable_automatic_installation=True)`
with the project on `sys.path`), under the logging setup upstream documents (`basicConfig()`
and `reset_logger()`), then edited and imported again. One venv serves every project, with
what their builds need (cffi, uniffi-bindgen) and its scripts directory on PATH, as in an
activated venv."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from support import FIXTURES_DIR, Result, Venv, copy_project, make_hook_venv, replace_in, run, without_colours

UNIFFI_BINDGEN = "uniffi-bindgen==0.28.3"
"""PyPI's uniffi-bindgen of the version the UDL fixtures' uniffi crate pins."""

IMPORT_TIMEOUT = 600
"""A first build compiles the fixture's dependencies (uniffi's bindgen takes a while): a hang
still fails the test, with the output so far, before pytest's own timeout."""


@dataclass(frozen=True)
class Kind:
    fixture: str
    project: str
    """The directory (relative to the fixture) that holds pyproject.toml: `sys.path[0]`."""
    module: str
    show: str
    """What is printed after `import <module>`."""
    edit: tuple[str, str, str]
    """(file relative to the fixture, old, new): the Rust edit that changes what `show` prints."""
    before: str
    after: str


KINDS = [
    Kind("pyo3-pure", ".", "pyo3_pure", "pyo3_pure.get_value()",
         ("src/lib.rs", "VALUE: i64 = 11;", "VALUE: i64 = 12;"), "11", "12"),
    Kind("pyo3-mixed", ".", "pyo3_mixed", "pyo3_mixed.get_value(), pyo3_mixed.get_helper_value()",
         ("src/lib.rs", "VALUE: i64 = 22;", "VALUE: i64 = 23;"), "22 100", "23 100"),
    Kind("workspace", "py", "workspace_py", "workspace_py.get_value()",
         ("core/src/lib.rs", "77", "78"), "77", "78"),
    Kind("pyo3-inspect", ".", "pyo3_inspect", "pyo3_inspect.get_value()",
         ("src/lib.rs", "VALUE: i64 = 88;", "VALUE: i64 = 89;"), "88", "89"),
    Kind("cffi", ".", "cffi_fixture", "cffi_fixture.lib.get_value()",
         ("src/lib.rs", "VALUE: i64 = 44;", "VALUE: i64 = 45;"), "44", "45"),
    Kind("cffi-mixed", ".", "cffi_mixed", "cffi_mixed.lib.get_value(), cffi_mixed.doubled()",
         ("src/lib.rs", "VALUE: i64 = 111;", "VALUE: i64 = 112;"), "111 222", "112 224"),
    Kind("uniffi", ".", "uniffi_fixture", "uniffi_fixture.get_value()",
         ("src/lib.rs", "VALUE: i64 = 55;", "VALUE: i64 = 56;"), "55", "56"),
    Kind("uniffi-udl", ".", "udl_fixture", "udl_fixture.get_value()",
         ("src/lib.rs", "VALUE: i64 = 122;", "VALUE: i64 = 123;"), "122", "123"),
    Kind("uniffi-mixed", ".", "uniffi_mixed", "uniffi_mixed.get_value(), uniffi_mixed.double_value()",
         ("src/lib.rs", "VALUE: i64 = 99;", "VALUE: i64 = 98;"), "99 198", "98 196"),
    Kind("bin", ".", "bin_fixture", "bin_fixture.run()",
         ("src/main.rs", "VALUE: i64 = 66;", "VALUE: i64 = 67;"), "bin-fixture 66", "bin-fixture 67"),
]  # fmt: skip


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venv]:
    env = make_hook_venv(tmp_path_factory.mktemp("bindings") / "venv")
    env.pip("install", "--quiet", "cffi", UNIFFI_BINDGEN)
    yield env


def first_import(venv: Venv, project_dir: Path, kind: Kind) -> Result:
    code = (
        "import logging\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "import maturin_import_hook\n"
        "maturin_import_hook.reset_logger()\n"
        "maturin_import_hook.install(enable_automatic_installation=True)\n"
        f"import {kind.module}\n"
        f"print(*[{kind.show}])\n"
    )
    env = venv.env(PATH=f"{venv.bin_dir}{os.pathsep}{os.environ['PATH']}")
    try:
        result = run([venv.python, "-c", code], cwd=project_dir, env=env, check=False, timeout=IMPORT_TIMEOUT)
    except subprocess.TimeoutExpired as hung:
        pytest.fail(f"the import hung: no result after {IMPORT_TIMEOUT} s\n{(hung.stderr or b'')[-3000:]!r}")
    result.stdout = without_colours(result.stdout)
    result.stderr = without_colours(result.stderr)
    assert result.returncode == 0, result.describe()
    return result


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.fixture)
def test_built_installed_and_rebuilt_by_an_import(kind: Kind, venv: Venv, tmp_path: Path) -> None:
    source = copy_project(FIXTURES_DIR / kind.fixture, tmp_path / kind.fixture)
    project_dir = source / kind.project

    installed = first_import(venv, project_dir, kind)
    assert installed.stdout.strip() == kind.before, installed.describe()
    assert installed.stderr.count(f'INFO:maturin_import_hook:building "{kind.module}"') == 1, (
        installed.describe()
    )

    replace_in(source / kind.edit[0], *kind.edit[1:])
    rebuilt = first_import(venv, project_dir, kind)
    assert rebuilt.stdout.strip() == kind.after, rebuilt.describe()
    assert rebuilt.stderr.count(f'rebuilt and loaded package "{kind.module}"') == 1, rebuilt.describe()

    again = first_import(venv, project_dir, kind)
    assert (again.stdout.strip(), again.stderr) == (kind.after, ""), again.describe()
