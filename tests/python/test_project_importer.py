"""`maturin_import_hook.install()` (drop-in for PyPI maturin-import-hook 0.3.0): the project
importer rebuilds editable maturin projects on import, in-process, sharing state and locks with
`maturin develop` and `develop --with-hook`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from conftest import Venv, run

CopyFixture = Callable[[str], Path]

INSTALL_AND_IMPORT = (
    "import maturin_import_hook; maturin_import_hook.install()\n"
    "import pyo3_mixed; print(pyo3_mixed.get_value())\n"
)


def module_cli(venv: Venv, *args: str) -> str:
    return run([venv.python, "-m", "maturin_import_hook", *args], env=venv.env()).stdout


def python(venv: Venv, code: str, **env: str) -> tuple[str, str]:
    result = run([venv.python, "-c", code], env=venv.env(**env))
    return result.stdout.strip(), result.stderr


def edit_value(source: Path, new: int) -> None:
    lib = source / "src" / "lib.rs"
    lib.write_text(lib.read_text().replace("VALUE: i64 = 22;", f"VALUE: i64 = {new};"))


def test_install_rebuilds_a_developed_project_on_import(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    assert python(hook_venv, INSTALL_AND_IMPORT) == ("22", "")
    edit_value(source, 41)
    out, err = python(hook_venv, INSTALL_AND_IMPORT)
    assert out == "41", err
    assert 'rebuilt and loaded package "pyo3_mixed"' in err
    assert python(hook_venv, INSTALL_AND_IMPORT) == ("41", "")
    # the command line shares the state: nothing left to do
    result = hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    assert "is up to date" in result.stderr


def test_force_rebuild_builds_at_every_import(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    forced = (
        "import maturin_import_hook; maturin_import_hook.install(force_rebuild=True)\nimport pyo3_mixed\n"
    )
    for _ in range(2):
        _, err = python(hook_venv, forced)
        assert 'rebuilt and loaded package "pyo3_mixed"' in err, err


def test_install_is_a_no_op_when_disabled(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    edit_value(source, 42)
    out, err = python(hook_venv, INSTALL_AND_IMPORT, MATURIN_IMPORT_HOOK_ENABLED="0")
    assert out == "22"
    assert err.strip() == "maturin import hook disabled by environment variable"


def test_reload_through_install(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    lib = source / "src" / "lib.rs"
    code = f"""
import importlib, pathlib, maturin_import_hook
maturin_import_hook.install()
import pyo3_mixed
print(pyo3_mixed.get_value())
lib = pathlib.Path({str(lib)!r})
lib.write_text(lib.read_text().replace("VALUE: i64 = 22;", "VALUE: i64 = 43;"))
importlib.reload(pyo3_mixed)
print(pyo3_mixed.get_value())
"""
    out, err = python(hook_venv, code)
    assert out.split() == ["22", "43"], err


def test_hooked_project_is_left_to_the_with_hook_finder(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml")
    edit_value(source, 44)
    out, err = python(hook_venv, INSTALL_AND_IMPORT)
    assert out == "44"
    assert err.count("Compiling pyo3-mixed") == 1, err


def test_site_install_activates_the_project_importer_at_startup(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    module_cli(hook_venv, "site", "install")
    edit_value(source, 45)
    out, err = python(hook_venv, "import pyo3_mixed; print(pyo3_mixed.get_value())")
    assert out == "45", err
    module_cli(hook_venv, "site", "uninstall")
    info = json.loads(module_cli(hook_venv, "site", "info", "-f", "json"))
    assert info["sitecustomize_import_hook_installed"] is False


def test_python_m_version(hook_venv: Venv) -> None:
    info = json.loads(module_cli(hook_venv, "version", "-f", "json"))
    assert info["maturin-import-hook"].startswith("maturin-hook")
    assert info["maturin"].startswith("maturin 1.16.0")


def test_xdist_workers_importing_one_stale_project_build_it_once(
    copy_fixture: CopyFixture, hook_venv: Venv, tmp_path: Path
) -> None:
    hook_venv.pip("install", "--quiet", "pytest==9.2.0", "pytest-xdist==3.8.0")
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    edit_value(source, 46)
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "conftest.py").write_text("import maturin_import_hook\n\nmaturin_import_hook.install()\n")
    (suite / "test_value.py").write_text(
        "import os, pathlib, pytest\n\n"
        "@pytest.mark.parametrize('n', range(8))\n"
        "def test_value(n, capfd):\n"
        "    import pyo3_mixed\n"
        "    assert pyo3_mixed.get_value() == 46\n"
        "    worker = os.environ.get('PYTEST_XDIST_WORKER', 'main')\n"
        "    log = pathlib.Path(os.environ['BUILD_LOG_DIR']) / f'{worker}-{n}.txt'\n"
        "    log.write_text(capfd.readouterr().err)\n"
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    result = run(
        [hook_venv.python, "-m", "pytest", "-n", "4", "-q", "-p", "no:cacheprovider", suite],
        env=hook_venv.env(BUILD_LOG_DIR=str(logs)),
    )
    assert "8 passed" in result.stdout, result.describe()
    stderrs = [log.read_text() for log in logs.iterdir()]
    assert sum(err.count("Compiling pyo3-mixed") for err in stderrs) == 1, stderrs
