"""The Python runtime package installed by `pip install .` links the Rust library."""

from __future__ import annotations

import sys

from support import UPSTREAM_VERSION, cargo_version, run


def test_native_module_reports_library_versions() -> None:
    code = "import maturin_import_hook as m; v = m.versions(); print(v.maturin_hook, v.maturin)"
    out = run([sys.executable, "-c", code]).stdout.split()
    assert out == [cargo_version(), UPSTREAM_VERSION]


def test_importing_the_package_does_not_load_the_native_library() -> None:
    code = "import sys, maturin_import_hook; print('maturin_import_hook._native' in sys.modules)"
    assert run([sys.executable, "-c", code]).stdout.strip() == "False"
