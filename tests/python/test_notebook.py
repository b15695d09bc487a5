"""The IPython extension (`%load_ext maturin_import_hook`) and `%%rust`, in a real Jupyter kernel
(ipykernel, run by nbclient) of a venv with the hook: each test runs a notebook whose cells edit
the Rust sources themselves, as a user would in an editor between two cells, and checks what
each cell shows. One venv is shared by the module's tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import (
    FIXTURES_DIR,
    MATURIN,
    NOTEBOOK,
    Venv,
    copy_project,
    make_hook_venv,
    replace_in,
    run,
    without_colours,
)

DRIVER = """
import json, sys
import nbformat
from nbclient import NotebookClient

cells = json.load(open(sys.argv[1]))
notebook = nbformat.v4.new_notebook()
notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True).execute()
json.dump([cell.outputs for cell in notebook.cells], open(sys.argv[2], "w"))
"""


@dataclass
class Cell:
    """What a cell showed: its stdout, its stderr, and its error (the lines the notebook shows)."""

    stdout: str
    stderr: str
    error: str | None
    ename: str | None
    evalue: str | None = None
    """The exception's text (`str(error)`)."""
    raw_error: str = ""
    """The error's lines as the kernel sent them (with the escapes the notebook renders)."""

    def __str__(self) -> str:
        return f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}--- error {self.ename}\n{self.error}"


def run_notebook(venv: Venv, cells: list[str], cwd: Path) -> list[Cell]:
    """Runs `cells` in one fresh kernel of `venv`; what each cell showed."""
    (cwd / "cells.json").write_text(json.dumps(cells))
    (cwd / "driver.py").write_text(DRIVER)
    env = venv.env(IPYTHONDIR=str(cwd / "ipython"), XDG_CACHE_HOME=str(cwd / "cache"))
    run([venv.python, cwd / "driver.py", cwd / "cells.json", cwd / "outputs.json"], cwd=cwd, env=env)
    shown = []
    for outputs in json.loads((cwd / "outputs.json").read_text()):
        streams: dict[str, str] = {"stdout": "", "stderr": ""}
        error = ename = evalue = None
        raw_error = ""
        for output in outputs:
            if output["output_type"] == "stream":
                streams[output["name"]] += without_colours(output["text"])
            elif output["output_type"] == "error":
                raw_error = "\n".join(output["traceback"])
                error = without_colours(raw_error)
                ename, evalue = output["ename"], output["evalue"]
        shown.append(Cell(streams["stdout"], streams["stderr"], error, ename, evalue, raw_error))
    return shown


@pytest.fixture(scope="module")
def kernel_venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    venv = make_hook_venv(tmp_path_factory.mktemp("notebook") / "venv")
    venv.pip("install", "--quiet", *NOTEBOOK)
    return venv


def edit(path: Path, old: str, new: str) -> str:
    """A cell that edits a file, as the user's editor would."""
    return (
        f"import pathlib\np = pathlib.Path({str(path)!r})\n"
        f"assert {old!r} in p.read_text()\n"
        f"p.write_text(p.read_text().replace({old!r}, {new!r}))"
    )


def test_hooked_project_is_rebuilt_and_reloaded_before_the_next_cell(
    kernel_venv: Venv, tmp_path: Path
) -> None:
    source = copy_project(FIXTURES_DIR / "pyo3-pure", tmp_path / "pyo3-pure")
    kernel_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml")
    lib = source / "src" / "lib.rs"
    cells = run_notebook(
        kernel_venv,
        [
            "%load_ext maturin_import_hook",
            "import pyo3_pure\nprint(pyo3_pure.get_value())",
            edit(lib, "VALUE: i64 = 11;", "VALUE: i64 = 12;"),
            "print(pyo3_pure.get_value())",
            "print(pyo3_pure.get_value())",
            edit(lib, "VALUE: i64 = 12;", 'VALUE: i64 = "twelve";'),
            "print('this cell ran')",
            "print(pyo3_pure.get_value())",
            edit(lib, 'VALUE: i64 = "twelve";', "VALUE: i64 = 13;"),
            "print(pyo3_pure.get_value())",
            # another process rebuilds it (here an import in a subprocess; `maturin develop` in a
            # terminal, a pytest run): the kernel reloads it
            edit(lib, "VALUE: i64 = 13;", "VALUE: i64 = 14;")
            + "\nimport subprocess, sys"
            + "\nsubprocess.run([sys.executable, '-c', 'import pyo3_pure'], check=True)",
            "print(pyo3_pure.get_value())",
        ],
        tmp_path,
    )
    for cell in cells:
        print(cell)
    assert cells[1].stdout == "11\n" and cells[1].stderr == "", cells[1]
    # the edit is rebuilt before the next cell, which sees the new code, with one line saying so
    assert cells[3].stdout == "12\n", cells[3]
    assert cells[3].error is None
    (line,) = cells[3].stderr.splitlines()
    # (the path relative to the kernel's working directory)
    assert line.startswith("maturin_import_hook: rebuilt pyo3_pure (pyo3-pure/src/lib.rs changed) in "), line
    assert line.endswith("s and reloaded it")
    # nothing changed: nothing shown
    assert cells[4].stdout == "12\n" and cells[4].stderr == "", cells[4]
    # a broken edit: the next cell shows the compiler's errors as its error and does not run
    broken = cells[6]
    assert broken.stdout == "", broken
    assert broken.error is not None, broken
    assert 'maturin_import_hook: the build of "pyo3_pure" failed' in broken.error
    assert "error[E0308]: mismatched types" in broken.error
    assert "the previous build of pyo3_pure is still loaded" in broken.error
    assert "Traceback" not in broken.error and "importlib" not in broken.error, broken.error
    # the error's text is plain; what the notebook renders keeps the compiler's colours
    assert broken.evalue is not None and "error[E0308]" in broken.evalue, broken
    assert "\x1b[" not in broken.evalue and "\x1b[" in broken.raw_error, broken
    # the previous build is still loaded and the cells after run with it, without trying the
    # build again until an input changed (the cell that fixes it, too)
    assert cells[7].stdout == "12\n" and cells[7].error is None and cells[7].stderr == "", cells[7]
    assert cells[8].stderr == "" and cells[8].error is None, cells[8]
    assert cells[9].stdout == "13\n" and cells[9].error is None, cells[9]
    assert cells[9].stderr.startswith("maturin_import_hook: fixed: rebuilt pyo3_pure"), cells[9]
    assert cells[11].stdout == "14\n", cells[11]
    assert cells[11].stderr == "maturin_import_hook: reloaded pyo3_pure, which another process rebuilt\n"


RUST_CELL = """%%rust my_cell
use pyo3::prelude::*;

#[pyfunction]
fn value() -> i64 {{
    {value}
}}

#[pymodule]
fn my_cell(m: &Bound<'_, PyModule>) -> PyResult<()> {{
    m.add_function(wrap_pyfunction!(value, m)?)?;
    Ok(())
}}
"""


def test_rust_cell_magic_builds_rebuilds_and_rebinds(kernel_venv: Venv, tmp_path: Path) -> None:
    cells = run_notebook(
        kernel_venv,
        [
            "%load_ext maturin_import_hook",
            RUST_CELL.format(value=1),
            "print(my_cell.value())",
            RUST_CELL.format(value=2),
            "print(my_cell.value())",
            RUST_CELL.format(value=2),
            RUST_CELL.format(value='"two"'),
            "print(my_cell.value())",
            RUST_CELL.replace("my_cell", "other_cell").format(value=3),
            "print(other_cell.value())",
        ],
        tmp_path,
    )
    for cell in cells:
        print(cell)
    assert cells[1].error is None and cells[1].stderr.startswith("maturin_import_hook: built my_cell in ")
    assert cells[2].stdout == "1\n"
    # an edit rebuilds and rebinds
    assert cells[3].error is None and cells[3].stderr.startswith("maturin_import_hook: built my_cell")
    assert cells[4].stdout == "2\n"
    # the same cell again builds nothing
    assert cells[5].error is None and cells[5].stderr == "", cells[5]
    # a compiler error is the cell's error; the previous build stays bound
    assert cells[6].error is not None and "error[E0308]: mismatched types" in cells[6].error
    assert "Traceback" not in cells[6].error
    assert cells[7].stdout == "2\n", cells[7]
    # another module builds in the shared target directory (pyo3 is not compiled again)
    assert cells[9].stdout == "3\n", cells[9]
    seconds = {index: float(cells[index].stderr.split(" in ")[1].split("s")[0]) for index in (1, 3, 8)}
    print("%%rust build times:", seconds)
    # the cell's source is kept in IPython's cache, where the compiler's errors point
    assert "/maturin_import_hook/rust_cells/" in cells[6].error and "my_cell.rs:5:5" in cells[6].error
    # `status` names them as the notebook's cells
    shown = run([MATURIN, "import-hook", "status", "--format", "json"], env=kernel_venv.env()).stdout
    fronts = {Path(p["source"]).name: p["front_end"] for p in json.loads(shown)}
    assert fronts.get("my_cell.rs") == "notebook: %%rust cell", fronts


RS_MODULE = """use pyo3::prelude::*;

#[pyfunction]
fn value() -> i64 {
    1
}

#[pymodule]
fn script(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(value, m)?)?;
    Ok(())
}
"""


def test_projects_and_rs_files_of_install_are_rebuilt_and_reloaded(kernel_venv: Venv, tmp_path: Path) -> None:
    """`maturin_import_hook.install()` in the kernel: an editable project of the project importer
    (installed by a plain `maturin develop`) and a `.rs` file of the file importer."""
    source = copy_project(FIXTURES_DIR / "pyo3-pure", tmp_path / "plain")
    replace_in(source / "pyproject.toml", 'name = "pyo3-pure"', 'name = "plain-pure"')
    replace_in(source / "Cargo.toml", 'name = "pyo3_pure"', 'name = "plain_pure"')
    replace_in(source / "src" / "lib.rs", "fn pyo3_pure(", "fn plain_pure(")
    kernel_venv.maturin("develop", "-m", source / "Cargo.toml")
    (tmp_path / "script.rs").write_text(RS_MODULE)
    cells = run_notebook(
        kernel_venv,
        [
            "%load_ext maturin_import_hook",
            "import maturin_import_hook\nmaturin_import_hook.install()\n"
            "import plain_pure, script\nprint(plain_pure.get_value(), script.value())",
            edit(source / "src" / "lib.rs", "VALUE: i64 = 11;", "VALUE: i64 = 12;"),
            "print(plain_pure.get_value(), script.value())",
            edit(tmp_path / "script.rs", "    1\n", "    2\n"),
            "print(plain_pure.get_value(), script.value())",
            "print(plain_pure.get_value(), script.value())",
        ],
        tmp_path,
    )
    for cell in cells:
        print(cell)
    assert cells[1].stdout == "11 1\n", cells[1]
    assert cells[3].stdout == "12 1\n" and cells[3].error is None, cells[3]
    assert cells[3].stderr.startswith("maturin_import_hook: rebuilt plain_pure (plain/src/lib.rs changed)")
    assert cells[5].stdout == "12 2\n" and cells[5].error is None, cells[5]
    assert cells[5].stderr.startswith("maturin_import_hook: rebuilt script (script.rs changed)"), cells[5]
    assert cells[6].stdout == "12 2\n" and cells[6].stderr == "", cells[6]


def test_autoreload_reloads_the_python_part_and_the_hook_the_rust_part(
    kernel_venv: Venv, tmp_path: Path
) -> None:
    """A mixed project with `%autoreload 2` and the extension: a `.py` edit is autoreload's (no
    build), a Rust edit is the hook's; attribute access sees both."""
    source = copy_project(FIXTURES_DIR / "pyo3-mixed", tmp_path / "pyo3-mixed")
    kernel_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml")
    init = source / "python" / "pyo3_mixed" / "__init__.py"
    cells = run_notebook(
        kernel_venv,
        [
            "%load_ext autoreload\n%autoreload 2\n%load_ext maturin_import_hook",
            "import pyo3_mixed\npyo3_mixed.main()",
            edit(init, "pyo3-mixed says", "pyo3-mixed now says") + ";",
            "pyo3_mixed.main()",
            edit(source / "src" / "lib.rs", "VALUE: i64 = 22;", "VALUE: i64 = 23;"),
            "pyo3_mixed.main()",
            edit(init, "pyo3-mixed now says", "pyo3-mixed still says") + ";",
            "pyo3_mixed.main()",
        ],
        tmp_path,
    )
    for cell in cells:
        print(cell)
    assert cells[1].stdout == "pyo3-mixed says 22\n", cells[1]
    assert cells[3].stdout == "pyo3-mixed now says 22\n" and cells[3].stderr == "", cells[3]
    assert cells[5].stdout == "pyo3-mixed now says 23\n", cells[5]
    assert cells[5].stderr.startswith(
        "maturin_import_hook: rebuilt pyo3_mixed (pyo3-mixed/src/lib.rs changed)"
    )
    assert cells[7].stdout == "pyo3-mixed still says 23\n" and cells[7].stderr == "", cells[7]


def test_a_build_under_upstreams_logging_setup_in_a_kernel(kernel_venv: Venv, tmp_path: Path) -> None:
    """The kernel's streams with `basicConfig()` + `reset_logger()` as upstream documents, and a
    first (full) build of a `.rs` file: the cell finishes, and the build's lines reach the
    program's handler once each."""
    (tmp_path / "logged.rs").write_text(RS_MODULE.replace("fn script(", "fn logged("))
    cells = run_notebook(
        kernel_venv,
        [
            "import logging\nlogging.basicConfig(level=logging.INFO)\n"
            "import maturin_import_hook\nmaturin_import_hook.reset_logger()\nmaturin_import_hook.install()",
            f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\nimport logged\nprint(logged.value())",
        ],
        tmp_path,
    )
    for cell in cells:
        print(cell)
    assert cells[1].stdout == "1\n" and cells[1].error is None, cells[1]
    assert cells[1].stderr.count('INFO:maturin_import_hook:building "logged"') == 1, cells[1]
    assert cells[1].stderr.count("Compiling logged_") == 1, cells[1]
    assert cells[1].stderr.count('rebuilt and loaded module "logged"') == 1, cells[1]
