"""A reload after a Rust edit reaches every name the project's package bound, in the two layouts
where submodules import from the extension: the extension as a submodule that `main.py` imports a
class from (tests/fixtures/ext-submodule, shaped like watchfiles), and a `rust/` crate with its
Python package under `src/`, whose submodules import functions from the extension, one through
another (tests/fixtures/src-layout, shaped like pendulum). In a real kernel (with and without
`%autoreload 2`) and with `importlib.reload` in a plain process."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import FIXTURES_DIR, Venv, copy_project, python
from test_notebook import edit, kernel_venv, run_notebook

__all__ = ["kernel_venv"]  # the kernel's venv, shared by this module's notebook tests

WATCH_LIB = "src/lib.rs"
PEND_LIB = "rust/src/lib.rs"
PEND_EDIT = ("year % 4 == 0", "year % 4 == 3")  # 2023 becomes a leap year

WATCH_EXPR = (
    "watch_like.watch(), watch_like.RustNotify().value(), watch_like.main.RustNotify().value(), "
    "watch_like._rust_notify.RustNotify().value(), "
    "watch_like.main.RustNotify is watch_like._rust_notify.RustNotify, "
    "sys.modules['watch_like._rust_notify'] is watch_like._rust_notify"
)
WATCH_VALUES = f"import sys\nprint({WATCH_EXPR})"
PEND_EXPR = (
    "pend_like.is_leap(2023), pend_like.helpers.is_leap(2023), pend_like.parsing.leap('2023'), "
    "pend_like.Date(2023).days(), pend_like._pend_like.is_leap(2023), pend_like.Date is pend_like.date.Date"
)
PEND_VALUES = f"print({PEND_EXPR})"
# the names of each module of the package, to check that none is lost by the reload
REMEMBER_NAMES = (
    "import sys\nnames_before = {{name: set(vars(module)) for name, module in list(sys.modules.items()) "
    "if name == {package!r} or name.startswith({package!r} + '.')}}"
)
LOST_NAMES = (
    "print(sorted((name, attribute) for name, names in names_before.items() "
    "for attribute in names - set(vars(sys.modules.get(name, object)))))"
)


def develop(venv: Venv, fixture: str, tmp_path: Path) -> Path:
    source = copy_project(FIXTURES_DIR / fixture, tmp_path / fixture)
    venv.maturin("develop", "--with-hook", cwd=source)
    return source


def test_notebook_reload_reaches_the_modules_that_imported_from_an_extension_submodule(
    kernel_venv: Venv, tmp_path: Path
) -> None:
    source = develop(kernel_venv, "ext-submodule", tmp_path)
    # a module of the user's, outside the project, that imported the class
    (tmp_path / "user_code.py").write_text("from watch_like.main import RustNotify\n")
    cells = run_notebook(
        kernel_venv,
        [
            "%load_ext maturin_import_hook",
            "import watch_like, watch_like.main, user_code\n" + REMEMBER_NAMES.format(package="watch_like"),
            WATCH_VALUES,
            edit(source / WATCH_LIB, "VALUE: i64 = 1;", "VALUE: i64 = 2;"),
            WATCH_VALUES,
            LOST_NAMES + "\nprint(user_code.RustNotify().value())",
        ],
        tmp_path,
    )
    for cell in cells:
        print(cell)
    assert cells[2].stdout == "1 1 1 1 True True\n", cells[2]
    assert cells[4].stdout == "2 2 2 2 True True\n" and cells[4].error is None, cells[4]
    (line,) = cells[4].stderr.splitlines()
    assert line.startswith("maturin_import_hook: rebuilt watch_like (ext-submodule/src/lib.rs changed)"), line
    assert line.endswith(
        "and reloaded it; these names outside it still hold the previous build (import them again): "
        "user_code.RustNotify"
    ), line
    # nothing the package had is gone, and the module outside keeps what it imported
    assert cells[5].stdout == "[]\n1\n", cells[5]


def test_notebook_reload_reaches_submodules_that_imported_functions_through_another(
    kernel_venv: Venv, tmp_path: Path
) -> None:
    source = develop(kernel_venv, "src-layout", tmp_path)
    cells = run_notebook(
        kernel_venv,
        [
            "%load_ext maturin_import_hook",
            # the notebook's namespace under a second name too, as multiprocessing makes it
            "import sys\nsys.modules['__mp_main__'] = sys.modules['__main__']\n"
            "import pend_like, pend_like.parsing\nfrom pend_like.helpers import is_leap\n"
            + REMEMBER_NAMES.format(package="pend_like"),
            PEND_VALUES,
            edit(source / PEND_LIB, *PEND_EDIT),
            PEND_VALUES,
            LOST_NAMES + "\nprint(is_leap(2023))",
        ],
        tmp_path,
    )
    for cell in cells:
        print(cell)
    assert cells[2].stdout == "False False False 365 False True\n", cells[2]
    assert cells[4].stdout == "True True True 366 True True\n" and cells[4].error is None, cells[4]
    (line,) = cells[4].stderr.splitlines()
    assert line.startswith("maturin_import_hook: rebuilt pend_like (src-layout/rust/src/lib.rs changed"), line
    assert line.endswith("(import them again): __main__.is_leap"), line
    assert cells[5].stdout == "[]\nFalse\n", cells[5]


def test_notebook_reload_with_autoreload(kernel_venv: Venv, tmp_path: Path) -> None:
    """`%autoreload 2` reloads the `.py` edits, the hook the Rust ones, before and after each
    other: every submodule sees both."""
    source = develop(kernel_venv, "src-layout", tmp_path)
    parsing = source / "src" / "pend_like" / "parsing.py"
    cells = run_notebook(
        kernel_venv,
        [
            "%load_ext autoreload\n%autoreload 2\n%load_ext maturin_import_hook",
            "import pend_like, pend_like.parsing\n" + REMEMBER_NAMES.format(package="pend_like"),
            PEND_VALUES,
            edit(parsing, "return is_leap(int(text))", "return not is_leap(int(text))") + ";",
            PEND_VALUES,
            edit(source / PEND_LIB, *PEND_EDIT),
            PEND_VALUES,
            edit(parsing, "return not is_leap(int(text))", "return is_leap(int(text))") + ";",
            PEND_VALUES,
            LOST_NAMES,
        ],
        tmp_path,
    )
    for cell in cells:
        print(cell)
    assert cells[2].stdout == "False False False 365 False True\n", cells[2]
    assert cells[4].stdout == "False False True 365 False True\n" and cells[4].stderr == "", cells[4]
    assert cells[6].stdout == "True True False 366 True True\n" and cells[6].error is None, cells[6]
    assert cells[6].stderr.startswith("maturin_import_hook: rebuilt pend_like"), cells[6]
    assert cells[8].stdout == "True True True 366 True True\n" and cells[8].stderr == "", cells[8]
    assert cells[9].stdout == "[]\n", cells[9]


RELOAD = """
import importlib, pathlib, sys
import {package}, {submodule}
from {submodule} import {name}
{remember}
print({values})
lib = pathlib.Path({lib!r})
lib.write_text(lib.read_text().replace({old!r}, {new!r}))
importlib.reload({package})
print({values})
{lost}
"""


@pytest.mark.parametrize("fixture", ["ext-submodule", "src-layout"])
def test_importlib_reload_reaches_every_module_that_imported_from_the_extension(
    fixture: str, hook_venv: Venv, tmp_path: Path
) -> None:
    source = develop(hook_venv, fixture, tmp_path)
    if fixture == "ext-submodule":
        code = RELOAD.format(
            package="watch_like",
            submodule="watch_like.main",
            name="RustNotify",
            values=WATCH_EXPR,
            lib=str(source / WATCH_LIB),
            old="VALUE: i64 = 1;",
            new="VALUE: i64 = 2;",
            remember=REMEMBER_NAMES.format(package="watch_like"),
            lost=LOST_NAMES,
        )
        expected = ["1 1 1 1 True True", "2 2 2 2 True True", "[]"]
        left: str | None = "__main__.RustNotify"
    else:
        code = RELOAD.format(
            package="pend_like",
            submodule="pend_like.parsing",
            name="leap",
            values=PEND_EXPR + ", leap('2023')",
            lib=str(source / PEND_LIB),
            old=PEND_EDIT[0],
            new=PEND_EDIT[1],
            remember=REMEMBER_NAMES.format(package="pend_like"),
            lost=LOST_NAMES,
        )
        expected = ["False False False 365 False True False", "True True True 366 True True True", "[]"]
        left = None  # `leap` is a Python function: it calls the new build through its module
    result = python(hook_venv, code, colours=False)
    assert result.stdout.splitlines() == expected, result.describe()
    if left is None:
        assert "previous build" not in result.stderr, result.describe()
    else:
        assert f"the previous build (import them again): {left}" in result.stderr, result.describe()


def test_a_reload_that_fails_leaves_the_package_as_it_was(hook_venv: Venv, tmp_path: Path) -> None:
    """The package's own code raises when it runs again: every module it had is still there."""
    source = develop(hook_venv, "src-layout", tmp_path)
    date = source / "src" / "pend_like" / "date.py"
    code = f"""
import importlib, pathlib, sys
import pend_like
lib = pathlib.Path({str(source / PEND_LIB)!r})
lib.write_text(lib.read_text().replace({PEND_EDIT[0]!r}, {PEND_EDIT[1]!r}))
date = pathlib.Path({str(date)!r})
date.write_text(date.read_text() + "\\nraise RuntimeError('broken')\\n")
try:
    importlib.reload(pend_like)
except RuntimeError as error:
    print('raised', error)
print(sorted(n for n in sys.modules if n.startswith('pend_like')))
print(hasattr(pend_like, 'date'), hasattr(pend_like, 'helpers'), hasattr(pend_like, '_pend_like'))
"""
    result = python(hook_venv, code, colours=False)
    lines = result.stdout.splitlines()
    assert lines[0] == "raised broken", result.describe()
    modules = ["pend_like", "pend_like._pend_like", "pend_like.date", "pend_like.helpers"]
    assert lines[1] == str(modules), result.describe()
    assert lines[2] == "True True True", result.describe()


def test_importlib_reload_of_a_top_level_extension_names_what_outside_still_holds(
    hook_venv: Venv, tmp_path: Path
) -> None:
    source = develop(hook_venv, "pyo3-pure", tmp_path)
    code = f"""
import importlib, pathlib
import pyo3_pure
from pyo3_pure import get_value
lib = pathlib.Path({str(source / "src" / "lib.rs")!r})
lib.write_text(lib.read_text().replace("VALUE: i64 = 11;", "VALUE: i64 = 12;"))
importlib.reload(pyo3_pure)
print(pyo3_pure.get_value(), get_value())
"""
    result = python(hook_venv, code, colours=False)
    assert result.stdout == "12 11\n", result.describe()
    assert (
        'maturin_import_hook [WARNING] reloaded "pyo3_pure"; these names outside it still hold the previous '
        "build (import them again): __main__.get_value\n" in result.stderr
    ), result.describe()


def test_modules_run_again_keep_naming_their_source_files(hook_venv: Venv, tmp_path: Path) -> None:
    """Tracebacks and a debugger's breakpoints name the source file, before and after reloads."""
    source = develop(hook_venv, "src-layout", tmp_path)
    code = f"""
import importlib, pathlib
import pend_like
for _ in range(3):
    importlib.reload(pend_like)
lib = pathlib.Path({str(source / PEND_LIB)!r})
lib.write_text(lib.read_text().replace({PEND_EDIT[0]!r}, {PEND_EDIT[1]!r}))
importlib.reload(pend_like)
print(pend_like.helpers.is_leap(2023), pend_like.Date(2023).days())
print(pend_like.helpers.__file__)
"""
    result = python(hook_venv, code, colours=False)
    assert result.stdout.splitlines() == [
        "True 366",
        str(source / "src" / "pend_like" / "helpers.py"),
    ], result.describe()
