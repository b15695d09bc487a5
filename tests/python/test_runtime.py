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
