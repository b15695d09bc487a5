"""A newcomer's first hour: what `develop --with-hook` says, the status command, colours, and
messages that name what changed."""

from __future__ import annotations

import json
import re
from pathlib import Path

from support import MATURIN, CopyFixture, Venv, environment_without_venv, python, replace_in, run, set_value

ANSI = re.compile(r"\x1b\[")


def status(venv: Venv, *args: str, env: dict[str, str] | None = None) -> str:
    return run([MATURIN, "import-hook", "status", *args], env=env or venv.env()).stdout


def test_develop_with_hook_says_what_it_installed(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-mixed")
    result = hook_venv.maturin("develop", "--with-hook", "--release", "-m", source / "Cargo.toml")
    assert "🪝 Import hook installed: `import pyo3_mixed` rebuilds it first" in result.stderr, (
        result.describe()
    )
    assert f"the settings `--release -m {source / 'Cargo.toml'}`" in result.stderr
    assert "`maturin develop` without --with-hook, or `pip uninstall pyo3-mixed`, removes it" in result.stderr
    # the wheel it names exists after the command
    (wheel,) = re.findall(r"📦 Built wheel for \S+ \S+ to (\S+\.whl)", result.stdout + result.stderr)
    assert Path(wheel).is_file(), wheel
    plain = hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    assert "Import hook" not in plain.stderr


def test_status_says_what_the_next_import_will_do_without_building(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml")
    shown = status(hook_venv)
    assert "pyo3_mixed (maturin develop --with-hook): pyo3-mixed" in shown, shown
    assert "next import: up to date" in shown

    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 22;", "VALUE: i64 = 23;")
    shown = status(hook_venv)
    assert f"next import: replays cargo (Rust sources changed): {source / 'src' / 'lib.rs'} changed" in shown
    replace_in(source / "Cargo.toml", "default = []", 'default = ["extra"]')
    (project,) = json.loads(status(hook_venv, "--format", "json"))
    assert project["modules"] == ["pyo3_mixed"] and project["front_end"] == "maturin develop --with-hook"
    assert project["next_import"] == {"action": "full-develop", "reason": f"{source / 'Cargo.toml'} changed"}
    without_cargo = hook_venv.env(PATH=str(hook_venv.bin_dir))
    (project,) = json.loads(status(hook_venv, "--format", "json", env=without_cargo))
    assert project["next_import"]["action"] == "cannot-build", project
    assert "cargo is not on PATH" in project["next_import"]["reason"]
    # nothing was built: the import still does it
    result = python(hook_venv, "import pyo3_mixed; print(pyo3_mixed.get_value())")
    assert result.stdout.strip() == "23" and "building" in result.stderr
    assert "last build" not in status(hook_venv)

    # a failed build (here by an import) is shown until a build succeeds
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 23;", 'VALUE: i64 = "23";')
    failed = python(hook_venv, "import pyo3_mixed", check=False)
    assert failed.returncode == 1 and "error[E0308]" in failed.stderr, failed.describe()
    shown = status(hook_venv)
    assert "last build:  failed just now: error[E0308]: mismatched types (cargo failed" in shown, shown
    (project,) = json.loads(status(hook_venv, "--format", "json"))
    assert project["last_failure"]["first_error"] == "error[E0308]: mismatched types", project
    replace_in(source / "src" / "lib.rs", 'VALUE: i64 = "23";', "VALUE: i64 = 24;")
    assert python(hook_venv, "import pyo3_mixed; print(pyo3_mixed.get_value())").stdout.strip() == "24"
    assert "last build" not in status(hook_venv)


def test_status_lists_the_importers_projects_and_rs_files(
    copy_fixture: CopyFixture, hook_venv: Venv, tmp_path: Path
) -> None:
    source = copy_fixture("pyo3-pure")
    hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "tiny.rs").write_text(
        "use pyo3::prelude::*;\n#[pyfunction]\nfn one() -> i64 { 1 }\n"
        "#[pymodule]\nfn tiny(m: &Bound<'_, PyModule>) -> PyResult<()> {\n"
        "    m.add_function(wrap_pyfunction!(one, m)?)\n}\n"
    )
    code = (
        "import maturin_import_hook; maturin_import_hook.install()\nimport pyo3_pure, tiny; print(tiny.one())"
    )
    assert run([hook_venv.python, "-c", code], cwd=scripts, env=hook_venv.env()).stdout.strip() == "1"
    projects = {p["front_end"]: p for p in json.loads(status(hook_venv, "--format", "json"))}
    assert projects["install(): project importer"]["modules"] == ["pyo3_pure"]
    assert projects["install(): project importer"]["next_import"]["action"] == "up-to-date"
    assert projects["install(): .rs file importer"]["source"] == str(scripts / "tiny.rs")
    info = json.loads(run([MATURIN, "import-hook", "site", "info", "-f", "json"], env=hook_venv.env()).stdout)
    assert info["hooked_modules"] is None


def test_site_info_names_the_hooked_modules(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-mixed")
    hook_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml")
    text = run([MATURIN, "import-hook", "site", "info"], env=hook_venv.env()).stdout
    assert "hooked_modules: pyo3_mixed" in text.splitlines()


def test_colour_only_on_a_terminal_unless_forced(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-pure")
    hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    code = "import maturin_import_hook; maturin_import_hook.install()\nimport pyo3_pure"
    values = iter(range(12, 20))

    def rebuild(**env: str) -> str:
        set_value(source, next(values))
        return run([hook_venv.python, "-c", code], env=hook_venv.env(**env)).stderr

    piped = rebuild()
    assert "Compiling pyo3-pure" in piped and not ANSI.search(piped), piped
    forced = rebuild(CLICOLOR_FORCE="1")
    assert ANSI.search(forced), forced
    assert not ANSI.search(rebuild(CLICOLOR_FORCE="1", NO_COLOR="1"))


def test_a_changed_build_variable_is_named_with_its_values(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    hook_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml")
    result = python(hook_venv, "import pyo3_pure", env=hook_venv.env(MATURIN_EXAMPLE_SETTING="on"))
    assert 'the build environment changed: MATURIN_EXAMPLE_SETTING was unset, now "on"' in result.stderr


def test_the_binary_of_a_venv_develops_into_it_without_activation(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    run(
        [hook_venv.bin_dir / "maturin", "develop", "-m", source / "Cargo.toml"],
        env=environment_without_venv(),
    )
    assert python(hook_venv, "import pyo3_pure; print(pyo3_pure.get_value())").stdout.strip() == "11"
