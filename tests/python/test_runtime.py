"""The Python runtime package installed by `pip install .` links the Rust library."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from support import REPO_ROOT, UPSTREAM_VERSION, cargo_version, run


def test_native_module_reports_library_versions() -> None:
    code = "import maturin_import_hook as m; v = m.versions(); print(v.maturin_hook, v.maturin)"
    out = run([sys.executable, "-c", code]).stdout.split()
    assert out == [cargo_version(), UPSTREAM_VERSION]


def test_importing_the_package_does_not_load_the_native_library() -> None:
    code = "import sys, maturin_import_hook; print('maturin_import_hook._native' in sys.modules)"
    assert run([sys.executable, "-c", code]).stdout.strip() == "False"


def test_the_outcomes_of_the_library_are_the_actions_python_knows() -> None:
    """`_outcome.Action` spells every action of the Rust library's outcome, and only those."""
    code = (
        "from maturin_import_hook import _fast\n"
        "from maturin_import_hook._outcome import Action\n"
        "print(list(_fast.ACTIONS) == [action.value for action in Action])"
    )
    assert run([sys.executable, "-c", code]).stdout.strip() == "True"


def test_the_settings_dataclass_has_a_field_for_each_setting_of_the_library() -> None:
    """A new setting is a row of `maturin_hook_core::settings::SETTINGS` and a field of
    `MaturinSettings`, in the same order."""
    code = (
        "import dataclasses\n"
        "from maturin_import_hook import _fast\n"
        "from maturin_import_hook.settings import MaturinSettings\n"
        "print([field.name for field in dataclasses.fields(MaturinSettings)] == list(_fast.SETTING_FIELDS))"
    )
    assert run([sys.executable, "-c", code]).stdout.strip() == "True"


def test_the_quick_check_the_library_writes_is_the_one_the_finder_reads() -> None:
    code = (
        "from maturin_import_hook import _fast, _finder\n"
        "print(_fast.QUICK_CHECK_HEADER == _finder.QUICK_CHECK_HEADER)"
    )
    assert run([sys.executable, "-c", code]).stdout.strip() == "True"


# What `maturin_import_hook._fast` links: the packages of its dependency graph (proc macros and
# their dependencies included). A new one is a decision, not an accident: an import whose quick
# check does not hold loads the module.
FAST_PACKAGES = set(
    "anyhow bitflags block-buffer camino cargo-platform cargo_metadata cfg-if cmov const-oid "
    "cpufeatures crypto-common ctutils digest dirs dirs-sys fastrand fs4 getrandom heck hybrid-array "
    "indoc itoa libc linux-raw-sys maturin-hook-core maturin-import-hook-fast memchr memoffset "
    "once_cell option-ext percent-encoding pin-project-lite proc-macro2 pyo3 pyo3-build-config "
    "pyo3-ffi pyo3-macros pyo3-macros-backend quote rustix semver serde serde_core serde_derive "
    "serde_json serde_spanned sha2 syn target-lexicon tempfile thiserror thiserror-impl toml "
    "toml_datetime toml_parser toml_writer tracing tracing-attributes tracing-core typenum "
    "unicode-ident unindent winnow zmij".split()
)
# its size in a release build (2.8 MB at 2026-12-07)
FAST_SIZE_BUDGET = 3_000_000


def cargo_tree(package: str, edges: str, format: str) -> set[str]:
    result = run(
        ["cargo", "tree", "--locked", "-p", package, "-e", edges, "--prefix", "none", "-f", format],
        cwd=REPO_ROOT,
    )
    lines = (line.strip() for line in result.stdout.splitlines())
    return {line[: -len(" (*)")] if line.endswith(" (*)") else line for line in lines if line}


def test_the_light_module_stays_light() -> None:
    packages = {line.split(" v")[0] for line in cargo_tree("maturin-import-hook-fast", "normal", "{p}")}
    assert packages - FAST_PACKAGES == set(), "new in _fast's dependency graph"
    assert FAST_PACKAGES - packages == set(), "gone from _fast's dependency graph: update FAST_PACKAGES"
    code = "from maturin_import_hook import _fast; print(_fast.__file__)"
    library = Path(run([sys.executable, "-c", code]).stdout.strip())
    readelf = shutil.which("readelf")
    if readelf is None:
        pytest.skip("readelf (binutils) is not installed: cannot tell a release build")
    if ".debug_info" in run([readelf, "--section-headers", "--wide", library]).stdout:
        pytest.skip(f"{library} is not a release build (it has debug information)")
    assert library.stat().st_size <= FAST_SIZE_BUDGET, library.stat().st_size


def test_the_two_modules_compile_their_shared_dependencies_once() -> None:
    """Every package of `_fast`'s graph has the features it has in `_native`'s (see the comment
    in import-hook/fast/Cargo.toml): the wheel build compiles it once for both."""
    fast = cargo_tree("maturin-import-hook-fast", "normal,build", "{p}|{f}")
    native = cargo_tree("maturin-import-hook-native", "normal,build", "{p}|{f}")
    differing = {line for line in fast - native if not line.startswith("maturin-import-hook-fast ")}
    assert differing == set(), "features that differ in _native's graph (package|features)"
