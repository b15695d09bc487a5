"""`maturin_import_hook.install()` (drop-in for PyPI maturin-import-hook 0.3.0): the project
importer rebuilds editable maturin projects on import, in-process, sharing state and locks with
`maturin develop` and `develop --with-hook`."""

from __future__ import annotations

import json
import os
import re
import shutil
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from fixture_projects import PROJECTS_BY_NAME
from support import (
    UPSTREAM_VERSION,
    XDIST,
    CopyFixture,
    Result,
    Venv,
    import_in_xdist_workers,
    make_hook_venv,
    printed,
    python,
    replace_in,
    run,
    run_at_once,
    set_value,
    without_colours,
)

INSTALL_AND_IMPORT = (
    "import maturin_import_hook; maturin_import_hook.install()\n"
    "import pyo3_mixed; print(pyo3_mixed.get_value())\n"
)


def module_cli(venv: Venv, *args: str) -> str:
    return run([venv.python, "-m", "maturin_import_hook", *args], env=venv.env()).stdout


def test_install_rebuilds_a_developed_project_on_import(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    assert printed(python(hook_venv, INSTALL_AND_IMPORT)) == ("22", "")
    set_value(source, 41)
    out, err = printed(python(hook_venv, INSTALL_AND_IMPORT))
    assert out == "41", err
    assert 'rebuilt and loaded package "pyo3_mixed"' in err
    assert printed(python(hook_venv, INSTALL_AND_IMPORT)) == ("41", "")
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
        err = python(hook_venv, forced).stderr
        assert 'rebuilt and loaded package "pyo3_mixed"' in err, err


def test_install_is_a_no_op_when_disabled(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    set_value(source, 42)
    out, err = printed(
        python(hook_venv, INSTALL_AND_IMPORT, env=hook_venv.env(MATURIN_IMPORT_HOOK_ENABLED="0"))
    )
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
    out, err = printed(python(hook_venv, code))
    assert out.split() == ["22", "43"], err


def test_hooked_project_is_left_to_the_with_hook_finder(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml")
    set_value(source, 44)
    out, err = printed(python(hook_venv, INSTALL_AND_IMPORT))
    assert out == "44"
    assert err.count("Compiling pyo3-mixed") == 1, err


def test_site_install_activates_the_project_importer_at_startup(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    module_cli(hook_venv, "site", "install")
    set_value(source, 45)
    out, err = printed(python(hook_venv, "import pyo3_mixed; print(pyo3_mixed.get_value())"))
    assert out == "45", err
    module_cli(hook_venv, "site", "uninstall")
    info = json.loads(module_cli(hook_venv, "site", "info", "-f", "json"))
    assert info["sitecustomize_import_hook_installed"] is False


def test_python_m_version(hook_venv: Venv) -> None:
    info = json.loads(module_cli(hook_venv, "version", "-f", "json"))
    assert info["maturin-import-hook"].startswith("maturin-hook")
    assert info["maturin"].startswith(f"maturin {UPSTREAM_VERSION}")


def test_xdist_workers_importing_one_stale_project_build_it_once(
    copy_fixture: CopyFixture, hook_venv: Venv, tmp_path: Path
) -> None:
    hook_venv.pip("install", "--quiet", *XDIST)
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    set_value(source, 46)
    suite = tmp_path / "suite"
    suite.mkdir()
    stderrs = import_in_xdist_workers(hook_venv, suite, "pyo3_mixed", 46)
    assert sum(err.count("Compiling pyo3-mixed") for err in stderrs) == 1, stderrs


# --- every layout and binding, installs by pip and uv, settings, inputs, logging, errors, locking
#
# Most of these tests share one venv (`shared_venv`), each developing its own copy of a fixture
# into it: maturin builds pyo3 for the interpreter's path, so every new venv compiles pyo3 again
# (~5 s here). The tests that install with pip and uv get fresh venvs, and come last so that
# their pyo3 builds do not evict the shared venv's from the shared target dir.


@pytest.fixture(scope="module")
def shared_venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A venv with the import hook runtime, shared by the tests of this module that can share it."""
    return make_hook_venv(tmp_path_factory.mktemp("shared") / "venv")


def hooked(venv: Venv, code: str, *, setup: str = "maturin_import_hook.install()") -> Result:
    """Runs `code` in a fresh interpreter of `venv` after `import maturin_import_hook` and
    `setup`; stdout and stderr without colours."""
    script = f"import maturin_import_hook\n{setup}\n{code}"
    # colours only matter where settings force them (MaturinSettings.default() does)
    return python(venv, script, colours=False)


def rebuilt_line(module: str) -> str:
    return f'rebuilt and loaded package "{module}"'


@dataclass(frozen=True)
class Layout:
    fixture: str
    module: str
    show: str
    """Expression printed after `import <module>`."""
    edit: tuple[str, str, str]
    """(file, old, new): the Rust edit that changes what `show` prints."""
    before: str
    after: str


LAYOUTS = [
    Layout(
        "pyo3-pure", "pyo3_pure", "pyo3_pure.get_value()",
        ("src/lib.rs", "VALUE: i64 = 11;", "VALUE: i64 = 12;"), "11", "12",
    ),
    Layout(
        "pyo3-mixed", "pyo3_mixed", "pyo3_mixed.get_value()",
        ("src/lib.rs", "VALUE: i64 = 22;", "VALUE: i64 = 23;"), "22", "23",
    ),
    Layout(
        "pyo3-abi3", "pyo3_abi3", "pyo3_abi3.get_value()",
        ("src/lib.rs", "VALUE: i64 = 33;", "VALUE: i64 = 34;"), "33", "34",
    ),
    Layout(
        "cffi", "cffi_fixture", "cffi_fixture.lib.get_value()",
        ("src/lib.rs", "VALUE: i64 = 44;", "VALUE: i64 = 45;"), "44", "45",
    ),
    Layout(
        "uniffi", "uniffi_fixture", "uniffi_fixture.get_value()",
        ("src/lib.rs", "VALUE: i64 = 55;", "VALUE: i64 = 56;"), "55", "56",
    ),
    Layout(
        "bin", "bin_fixture", "bin_fixture.run()",
        ("src/main.rs", "VALUE: i64 = 66;", "VALUE: i64 = 67;"), "bin-fixture 66", "bin-fixture 67",
    ),
    Layout(
        "workspace", "workspace_py", "workspace_py.get_value()",
        ("py/src/lib.rs", "workspace_core::core_value()", "workspace_core::core_value() + 1"), "77", "78",
    ),
]  # fmt: skip


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.fixture)
def test_every_layout_and_binding_is_rebuilt_on_import(
    layout: Layout, copy_fixture: CopyFixture, shared_venv: Venv
) -> None:
    project = PROJECTS_BY_NAME[layout.fixture]
    source = copy_fixture(layout.fixture)
    if project.build_requires:
        shared_venv.pip("install", "--quiet", *project.build_requires)
    shared_venv.maturin("develop", "-m", source / project.manifest)
    code = f"import {layout.module}; print({layout.show})"

    first = hooked(shared_venv, code)
    assert printed(first) == (layout.before, ""), first.describe()

    replace_in(source / layout.edit[0], *layout.edit[1:])
    second = hooked(shared_venv, code)
    assert second.stdout.strip() == layout.after, second.describe()
    assert second.stderr.count(rebuilt_line(layout.module)) == 1, second.describe()

    third = hooked(shared_venv, code)
    assert printed(third) == (layout.after, ""), third.describe()


def developed(copy_fixture: CopyFixture, venv: Venv, fixture: str) -> Path:
    """A fresh copy of the fixture, developed into `venv`; its project directory."""
    source = copy_fixture(fixture)
    venv.maturin("develop", "-m", source / PROJECTS_BY_NAME[fixture].manifest)
    return source


def test_changed_settings_rebuild_once_and_back(copy_fixture: CopyFixture, shared_venv: Venv) -> None:
    developed(copy_fixture, shared_venv, "pyo3-mixed")
    code = "import pyo3_mixed; print(hasattr(pyo3_mixed, 'get_extra'))"
    extra = (
        "from maturin_import_hook.settings import MaturinSettings\n"
        "maturin_import_hook.install(settings=MaturinSettings(features=['extra']))"
    )
    default = "maturin_import_hook.install()"
    # (setup, what the import shows, whether it rebuilds)
    steps = [
        (extra, "True", True),
        (extra, "True", False),
        (default, "False", True),  # back to the defaults
        (default, "False", False),
    ]
    for setup, shown, rebuilds in steps:
        result = hooked(shared_venv, code, setup=setup)
        assert result.stdout.strip() == shown, result.describe()
        if rebuilds:
            assert result.stderr.count(rebuilt_line("pyo3_mixed")) == 1, result.describe()
        else:
            assert result.stderr == "", result.describe()


def test_edit_of_a_path_dependency_rebuilds(copy_fixture: CopyFixture, shared_venv: Venv) -> None:
    source = developed(copy_fixture, shared_venv, "workspace")
    code = "import workspace_py; print(workspace_py.get_value())"
    replace_in(source / "core" / "src" / "lib.rs", "VALUE: i64 = 77;", "VALUE: i64 = 79;")
    result = hooked(shared_venv, code)
    assert result.stdout.strip() == "79", result.describe()
    assert rebuilt_line("workspace_py") in result.stderr
    again = hooked(shared_venv, code)
    assert printed(again) == ("79", ""), again.describe()


def test_touches_do_not_rebuild_and_replacements_with_old_mtimes_do(
    copy_fixture: CopyFixture, shared_venv: Venv
) -> None:
    source = developed(copy_fixture, shared_venv, "pyo3-pure")
    lib = source / "src" / "lib.rs"
    code = "import pyo3_pure; print(pyo3_pure.get_value())"

    # touched, and rewritten with the same content: nothing to build
    os.utime(lib)
    assert printed(hooked(shared_venv, code)) == ("11", "")
    lib.write_text(lib.read_text())
    assert printed(hooked(shared_venv, code)) == ("11", "")

    # what `cp -p`, `rsync -t` or unpacking an archive do: other content, an old mtime
    # same size and same mtime as the last check saw: only the content differs
    recorded = lib.stat()
    replace_in(lib, "VALUE: i64 = 11;", "VALUE: i64 = 12;")
    os.utime(lib, ns=(recorded.st_atime_ns, recorded.st_mtime_ns))
    assert (lib.stat().st_mtime_ns, lib.stat().st_size) == (recorded.st_mtime_ns, recorded.st_size)
    result = hooked(shared_venv, code)
    assert result.stdout.strip() == "12", result.describe()
    assert rebuilt_line("pyo3_pure") in result.stderr

    # an mtime an hour older than any build
    replace_in(lib, "VALUE: i64 = 12;", "VALUE: i64 = 13;")
    hour_ago = recorded.st_mtime_ns - 3600 * 10**9
    os.utime(lib, ns=(hour_ago, hour_ago))
    result = hooked(shared_venv, code)
    assert result.stdout.strip() == "13", result.describe()
    assert rebuilt_line("pyo3_pure") in result.stderr


def test_import_after_a_rebuild_of_an_old_mtime_copy_is_up_to_date(
    copy_fixture: CopyFixture, shared_venv: Venv
) -> None:
    lib = developed(copy_fixture, shared_venv, "pyo3-pure") / "src" / "lib.rs"
    code = "import pyo3_pure; print(pyo3_pure.get_value())"
    for old, new in [("11", "12"), ("12", "13")]:
        replace_in(lib, f"VALUE: i64 = {old};", f"VALUE: i64 = {new};")
        hour_ago = time.time_ns() - 3600 * 10**9
        os.utime(lib, ns=(hour_ago, hour_ago))
        result = hooked(shared_venv, code)
        assert result.stdout.strip() == new, result.describe()
        assert rebuilt_line("pyo3_pure") in result.stderr
        # nothing changed since
        again = hooked(shared_venv, code)
        assert printed(again) == (new, ""), again.describe()


REBUILT_INFO_LINE = re.compile(r'^rebuilt and loaded package "pyo3_pure" in [0-9]+\.[0-9]{3}s$', re.MULTILINE)


def test_default_logging_and_reset_logger(copy_fixture: CopyFixture, shared_venv: Venv) -> None:
    lib = developed(copy_fixture, shared_venv, "pyo3-pure") / "src" / "lib.rs"
    code = "import pyo3_pure; print(pyo3_pure.get_value())"

    # without any logging configuration: INFO on stderr, the bare message
    replace_in(lib, "VALUE: i64 = 11;", "VALUE: i64 = 12;")
    result = hooked(shared_venv, code)
    assert result.stdout.strip() == "12", result.describe()
    assert len(REBUILT_INFO_LINE.findall(result.stderr)) == 1, result.describe()
    assert "maturin_import_hook" not in result.stderr  # no logger name, no level

    # reset_logger(): the records go to the (unconfigured) root logger, which drops INFO; the
    # build's output goes through the logger too, so nothing at all is printed, as upstream
    replace_in(lib, "VALUE: i64 = 12;", "VALUE: i64 = 13;")
    result = hooked(
        shared_venv, code, setup="maturin_import_hook.reset_logger()\nmaturin_import_hook.install()"
    )
    assert result.stdout.strip() == "13", result.describe()
    assert result.stderr == "", result.describe()

    # reset_logger() with the program's own configuration: printed once, in its format
    replace_in(lib, "VALUE: i64 = 13;", "VALUE: i64 = 14;")
    configured = (
        "import logging\n"
        "logging.basicConfig(format='%(name)s [%(levelname)s] %(message)s', level=logging.INFO)\n"
        "maturin_import_hook.reset_logger()\n"
        "maturin_import_hook.install()\n"
    )
    result = hooked(shared_venv, code, setup=configured)
    assert result.stdout.strip() == "14", result.describe()
    lines = [line for line in result.stderr.splitlines() if "rebuilt and loaded" in line]
    assert len(lines) == 1, result.describe()
    assert re.fullmatch(
        r'maturin_import_hook \[INFO\] rebuilt and loaded package "pyo3_pure" in [0-9.]+s', lines[0]
    )


DEBUG_TO_STDOUT = (
    "import logging, sys\n"
    "logger = logging.getLogger('maturin_import_hook')\n"
    "logger.setLevel(logging.DEBUG)\n"
    "handler = logging.StreamHandler(sys.stdout)\n"
    "handler.setFormatter(logging.Formatter('record %(levelname)s %(message)s'))\n"
    "logger.addHandler(handler)\n"
)


def test_debug_records_explain_each_decision(copy_fixture: CopyFixture, shared_venv: Venv) -> None:
    source = developed(copy_fixture, shared_venv, "pyo3-pure")
    lib = source / "src" / "lib.rs"
    code = DEBUG_TO_STDOUT + "import pyo3_pure\nprint('value', pyo3_pure.get_value())"

    replace_in(lib, "VALUE: i64 = 11;", "VALUE: i64 = 12;")
    result = hooked(shared_venv, code)
    records = [line for line in result.stdout.splitlines() if line.startswith("record ")]
    assert f'record DEBUG found project linked by dist-info: "{source}"' in records, result.describe()
    built = [
        line
        for line in records
        if line.startswith('record DEBUG package "pyo3_pure" will be rebuilt because: ')
    ]
    assert len(built) == 1 and str(lib) in built[0], result.describe()  # names the changed input
    assert any(
        re.fullmatch(r'record INFO rebuilt and loaded package "pyo3_pure" in [0-9.]+s', r) for r in records
    )
    assert "value 12" in result.stdout
    assert "DEBUG" not in result.stderr  # the hook's own stderr handler stays at INFO

    result = hooked(shared_venv, code)
    records = [line for line in result.stdout.splitlines() if line.startswith("record ")]
    assert any(
        re.fullmatch(r'record DEBUG package up to date: "pyo3_pure" \(".*pyo3_pure.*"\) in [0-9.]+ ms', r)
        for r in records
    ), result.describe()
    assert not any("rebuilt" in record or "building" in record for record in records)
    assert result.stderr == ""


def test_logger_level_set_after_importing_the_package_is_kept(
    copy_fixture: CopyFixture, shared_venv: Venv
) -> None:
    source = developed(copy_fixture, shared_venv, "pyo3-pure")
    # upstream's order: import the package, configure its logger, install
    setup = DEBUG_TO_STDOUT + "maturin_import_hook.install()"
    result = hooked(shared_venv, "import pyo3_pure\nprint('value', pyo3_pure.get_value())", setup=setup)
    assert "value 11" in result.stdout, result.describe()
    assert f'record DEBUG found project linked by dist-info: "{source}"' in result.stdout, result.describe()


def test_a_rebuild_is_announced_before_it_starts(copy_fixture: CopyFixture, shared_venv: Venv) -> None:
    lib = developed(copy_fixture, shared_venv, "pyo3-pure") / "src" / "lib.rs"
    replace_in(lib, "VALUE: i64 = 11;", "VALUE: i64 = 12;")
    result = hooked(shared_venv, "import pyo3_pure; print(pyo3_pure.get_value())")
    assert result.stdout.strip() == "12", result.describe()
    lines = result.stderr.splitlines()
    building = [i for i, line in enumerate(lines) if line.startswith('building "pyo3_pure"')]
    rebuilt = [i for i, line in enumerate(lines) if line.startswith(rebuilt_line("pyo3_pure"))]
    assert len(building) == 1 and len(rebuilt) == 1, result.describe()
    assert building[0] < rebuilt[0]


def test_compile_error_is_an_import_hook_error_and_the_fix_imports(
    copy_fixture: CopyFixture, shared_venv: Venv
) -> None:
    source = developed(copy_fixture, shared_venv, "pyo3-pure")
    lib = source / "src" / "lib.rs"
    installed = sorted(shared_venv.site_packages.glob("pyo3_pure/pyo3_pure*.so"))
    assert len(installed) == 1
    code = (
        "from maturin_import_hook.error import ImportHookError\n"
        "try:\n"
        "    import pyo3_pure\n"
        "except ImportError as error:\n"
        "    print('caught', type(error).__name__, isinstance(error, ImportHookError), error.name)\n"
        "    print(error)\n"
        "else:\n"
        "    print('value', pyo3_pure.get_value())\n"
    )
    replace_in(lib, "VALUE: i64 = 11;", 'VALUE: i64 = "eleven";')
    for _ in range(2):  # a failed build is not taken for an up-to-date one
        result = hooked(shared_venv, code)
        first_line, message = result.stdout.split("\n", 1)
        assert first_line == "caught BuildError True pyo3_pure", result.describe()
        assert message.startswith('Failed to build package with maturin: "pyo3_pure"'), message
        assert "error[E0308]: mismatched types" in message  # rustc's diagnostics
        assert 'const VALUE: i64 = "eleven";' in message
        assert "error[E0308]" not in result.stderr  # once, in the exception, not as it builds

    # the last good build is left installed: a program without the hook still runs it
    assert sorted(shared_venv.site_packages.glob("pyo3_pure/pyo3_pure*.so")) == installed
    plain = shared_venv.python_code("import pyo3_pure; print(pyo3_pure.get_value())")
    assert plain.strip() == "11"

    replace_in(lib, 'VALUE: i64 = "eleven";', "VALUE: i64 = 12;")
    result = hooked(shared_venv, code)
    assert result.stdout.strip() == "value 12", result.describe()
    assert rebuilt_line("pyo3_pure") in result.stderr


def test_build_error_names_the_failure_in_one_line_and_shows_the_diagnostics_once(
    copy_fixture: CopyFixture, shared_venv: Venv
) -> None:
    lib = developed(copy_fixture, shared_venv, "pyo3-pure") / "src" / "lib.rs"
    replace_in(lib, "VALUE: i64 = 11;", 'VALUE: i64 = "eleven";')
    code = (
        "try:\n"
        "    import pyo3_pure\n"
        "except ImportError as error:\n"
        "    print(repr(error.reason))\n"
        "    print(str(error).count('error[E0308]'), error.diagnostics.count('error[E0308]'))\n"
    )
    result = hooked(shared_venv, code)
    reason, counts = result.stdout.strip().splitlines()
    assert counts == "1 1", result.describe()
    assert "\\n" not in reason, reason


CONCURRENT_IMPORT = """\
import os, pathlib, sys, time
import maturin_import_hook
maturin_import_hook.install()
ready = pathlib.Path(sys.argv[1])
(ready / str(os.getpid())).touch()
deadline = time.monotonic() + 60
while len(list(ready.iterdir())) < int(sys.argv[2]) and time.monotonic() < deadline:
    time.sleep(0.002)
import pyo3_pure
print(pyo3_pure.get_value())
"""


def test_concurrent_imports_of_a_stale_project_build_it_once(
    copy_fixture: CopyFixture, shared_venv: Venv, tmp_path: Path
) -> None:
    source = developed(copy_fixture, shared_venv, "pyo3-pure")
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 11;", "VALUE: i64 = 15;")
    script = tmp_path / "concurrent_import.py"
    script.write_text(CONCURRENT_IMPORT)
    ready = tmp_path / "ready"
    ready.mkdir()
    count = 4
    # the processes wait for each other after install(), so that their imports start together
    command = [shared_venv.python, script, ready, str(count)]
    results = run_at_once([(command, shared_venv.env())] * count, timeout=300)
    stderr = without_colours("".join(result.stderr for result in results))
    report = "\n".join(f"--- {i}: exit {r.returncode}\n{r.stdout}{r.stderr}" for i, r in enumerate(results))
    assert [result.returncode for result in results] == [0] * count, report
    assert [result.stdout.strip() for result in results] == ["15"] * count, report
    assert stderr.count("Compiling pyo3-pure") == 1, report
    assert stderr.count(rebuilt_line("pyo3_pure")) == 1, report
    assert "waiting" in stderr.lower(), "the imports did not overlap:\n" + report


def find_uv() -> str | None:
    """uv on PATH (scripts/test puts the test venv's bin there), else next to this interpreter."""
    return shutil.which("uv") or shutil.which("uv", path=sysconfig.get_path("scripts"))


@pytest.mark.parametrize(
    ("installer", "fixture"),
    [("pip", "pyo3-mixed"), ("uv", "pyo3-pure")],
    ids=["pip install -e (mixed)", "uv pip install -e (pure)"],
)
def test_editable_install_by_a_frontend_is_found_and_rebuilt(
    installer: str, fixture: str, copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    """Installed by pip or uv through our PEP 517 backend (`build-backend = "maturin"`, the
    runtime wheel's), without build isolation: found through the dist-info's direct_url.json."""
    source = copy_fixture(fixture)
    env = hook_venv.env()
    if installer == "pip":
        command: list[object] = [hook_venv.python, "-m", "pip", "install", "--disable-pip-version-check"]
    else:
        uv = find_uv()
        if uv is None:
            pytest.skip("uv is neither on PATH nor next to the interpreter (scripts/test installs it)")
        command = [uv, "pip", "install", "--python", hook_venv.python]
    run([*command, "--no-build-isolation", "--no-deps", "-e", source], env=env)
    module = fixture.replace("-", "_")
    dist_info = next(hook_venv.site_packages.glob(f"{module}-*.dist-info"))
    direct_url = json.loads((dist_info / "direct_url.json").read_text())
    assert direct_url["dir_info"] == {"editable": True}, direct_url

    value = {"pyo3-mixed": 22, "pyo3-pure": 11}[fixture]
    code = f"import {module}; print({module}.get_value())"
    for new in (value + 1, value + 2):  # the frontend's build, then the importer's own
        replace_in(source / "src" / "lib.rs", f"VALUE: i64 = {new - 1};", f"VALUE: i64 = {new};")
        result = hooked(hook_venv, code)
        assert result.stdout.strip() == str(new), result.describe()
        assert result.stderr.count(rebuilt_line(module)) == 1, result.describe()
        again = hooked(hook_venv, code)
        assert printed(again) == (str(new), ""), again.describe()
