"""The command line: version, help of every command, flag parity with upstream maturin 1.16.0
and with `python -m maturin_import_hook` of maturin-import-hook 0.3.0 from PyPI, logging and
environment discovery errors."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from support import (
    MATURIN,
    REPO_ROOT,
    UPSTREAM_IMPORT_HOOK_VERSION,
    UPSTREAM_VERSION,
    CopyFixture,
    Venv,
    cargo_version,
    environment_without_venv,
    load_toml,
    make_venv,
    maturin_outside_any_venv,
    run,
    without_colours,
)

# (path of the command, whether upstream hides it in `maturin --help`)
UPSTREAM_COMMANDS = [
    ["build"],
    ["b"],
    ["develop"],
    ["dev"],
    ["sdist"],
    ["list-python"],
    ["generate-stubs"],
    ["new"],
    ["init"],
    ["generate-ci"],
    ["upload"],
    ["publish"],
    ["completions"],
    ["pep517"],
    ["pep517", "write-dist-info"],
    ["pep517", "build-wheel"],
    ["pep517", "write-sdist"],
]
IMPORT_HOOK_COMMANDS = [
    ["import-hook"],
    ["import-hook", "site"],
    ["import-hook", "site", "install"],
    ["import-hook", "site", "uninstall"],
    ["import-hook", "site", "info"],
    ["import-hook", "cache"],
    ["import-hook", "cache", "info"],
    ["import-hook", "cache", "clear"],
    ["import-hook", "version"],
    ["import-hook", "status"],
]


def test_version_names_upstream_version_and_fork() -> None:
    out = run([MATURIN, "--version"]).stdout.strip()
    assert out == f"maturin {UPSTREAM_VERSION} (maturin-hook {cargo_version()})"


def test_python_distribution_version_matches_cargo() -> None:
    version = load_toml(REPO_ROOT / "pyproject.toml")["project"]["version"]
    assert version == f"{UPSTREAM_VERSION}+hook.{cargo_version()}"


def test_python_dash_m_maturin_runs_the_binary() -> None:
    out = run([sys.executable, "-m", "maturin", "--version"]).stdout
    assert f"maturin-hook {cargo_version()}" in out


@pytest.mark.parametrize("command", UPSTREAM_COMMANDS + IMPORT_HOOK_COMMANDS, ids=" ".join)
def test_every_command_has_help(command: list[str]) -> None:
    result = run([MATURIN, *command, "--help"])
    assert "Usage: maturin" in result.stdout


@pytest.fixture(scope="session")
def upstream_maturin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """maturin 1.16.0 from PyPI, in a venv of its own."""
    venv = make_venv(tmp_path_factory.mktemp("upstream") / "venv")
    venv.pip("install", "--quiet", f"maturin=={UPSTREAM_VERSION}")
    return venv.bin_dir / "maturin"


OPTION_RE = re.compile(r"^\s+(?:-[A-Za-z], )?(--[a-z0-9][a-z0-9-]*)", re.MULTILINE)


def help_flags(binary: Path, command: list[str]) -> set[str]:
    return set(OPTION_RE.findall(run([binary, *command, "--help"]).stdout))


# Flags we add to upstream commands (documented in the README).
OUR_EXTRA_FLAGS = {
    "develop": {"--upstream-install", "--with-hook", "--watch"},
    "dev": {"--upstream-install", "--with-hook", "--watch"},
    "new": {"--with-hook"},
    "init": {"--with-hook"},
}


@pytest.mark.parametrize("command", UPSTREAM_COMMANDS, ids=" ".join)
def test_flags_match_upstream_binary(upstream_maturin: Path, command: list[str]) -> None:
    ours = help_flags(MATURIN, command)
    theirs = help_flags(upstream_maturin, command)
    assert theirs, "could not read upstream's flags"
    assert ours == theirs | OUR_EXTRA_FLAGS.get(" ".join(command), set())


def listed_commands(binary: Path) -> set[str]:
    text = run([binary, "--help"]).stdout
    section = text.split("Commands:")[1].split("Options:")[0]
    # one command per line at two spaces of indentation; wrapped descriptions are deeper
    return set(re.findall(r"^  ([a-z][a-z0-9-]*)", section, re.MULTILINE))


def test_command_list_is_upstreams_plus_import_hook(upstream_maturin: Path) -> None:
    assert listed_commands(MATURIN) == listed_commands(upstream_maturin) | {"import-hook"}


@pytest.fixture(scope="session")
def upstream_import_hook(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """maturin-import-hook 0.3.0 from PyPI, in a venv of its own."""
    venv = make_venv(tmp_path_factory.mktemp("upstream-import-hook") / "venv")
    venv.pip("install", "--quiet", f"maturin-import-hook=={UPSTREAM_IMPORT_HOOK_VERSION}")
    return venv


def option_names(help_text: str) -> set[str]:
    """The short and long option names of a --help text, clap's or argparse's."""
    names: set[str] = set()
    # option lines are indented by 2 (or, for clap's long-only options, 6) spaces; wrapped
    # descriptions are deeper
    for line in re.findall(r"^ {2,6}(-\S.*)$", help_text, re.MULTILINE):
        spec = re.split(r"\s{2,}", line.strip())[0]
        names.update(re.findall(r"(?<![\w-])--?[A-Za-z][\w-]*", spec))
    return names - {"-h", "--help"}


# `-v/--verbose` is global to our CLI; `cache clear --force` clears while a build holds a lock.
OUR_GLOBAL_FLAGS = {"-v", "--verbose"}
OUR_EXTRA_IMPORT_HOOK_FLAGS = {"cache clear": {"--force"}}


@pytest.mark.parametrize(
    "command", [c[1:] for c in IMPORT_HOOK_COMMANDS if len(c) == 3 or c[-1] == "version"], ids=" ".join
)
def test_import_hook_flags_match_upstream_import_hook(upstream_import_hook: Venv, command: list[str]) -> None:
    ours = option_names(run([MATURIN, "import-hook", *command, "--help"]).stdout) - OUR_GLOBAL_FLAGS
    theirs = option_names(
        run([upstream_import_hook.python, "-m", "maturin_import_hook", *command, "--help"]).stdout
    )
    assert theirs, "could not read upstream's flags"
    assert ours == theirs | OUR_EXTRA_IMPORT_HOOK_FLAGS.get(" ".join(command), set())


def test_import_hook_commands_match_upstream_import_hook(upstream_import_hook: Venv) -> None:
    def upstream_commands(*command: str) -> set[str]:
        usage = run([upstream_import_hook.python, "-m", "maturin_import_hook", *command, "--help"]).stdout
        return set(re.findall(r"\{([a-z,]+)\}", usage)[0].split(","))

    def our_commands(*command: str) -> set[str]:
        text = run([MATURIN, "import-hook", *command, "--help"]).stdout
        section = text.split("Commands:")[1].split("Options:")[0]
        return set(re.findall(r"^  ([a-z][a-z0-9-]*)", section, re.MULTILINE)) - {"help"}

    # ours adds `status` (what the next import of each hooked project will do)
    ours: dict[tuple[str, ...], set[str]] = {(): {"status"}}
    for command in [(), ("site",), ("cache",)]:
        assert our_commands(*command) == upstream_commands(*command) | ours.get(command, set()), command


def test_completions_are_generated() -> None:
    out = run([MATURIN, "completions", "bash"]).stdout
    assert "_maturin()" in out and "develop" in out


def test_develop_without_environment_says_how_to_get_one(tmp_path: Path) -> None:
    maturin = maturin_outside_any_venv(tmp_path)
    result = run([maturin, "develop"], cwd=tmp_path, env=environment_without_venv(), check=False)
    assert result.returncode == 1
    assert "Couldn't find a virtualenv or conda environment" in result.stderr
    assert "VIRTUAL_ENV" in result.stderr


def test_develop_with_conflicting_environments_names_both(tmp_path: Path) -> None:
    env = environment_without_venv(VIRTUAL_ENV=str(tmp_path / "a"), CONDA_PREFIX=str(tmp_path / "b"))
    result = run([MATURIN, "develop"], cwd=tmp_path, env=env, check=False)
    assert result.returncode == 1
    assert "Both VIRTUAL_ENV" in result.stderr and str(tmp_path / "a") in result.stderr


def test_broken_dot_venv_is_reported(tmp_path: Path) -> None:
    (tmp_path / ".venv").mkdir()
    project = tmp_path / "project"
    project.mkdir()
    result = run([MATURIN, "develop"], cwd=project, env=environment_without_venv(), check=False)
    assert result.returncode == 1
    assert "pyvenv.cfg is missing" in result.stderr


def log_env(**extra: str) -> dict[str, str]:
    return environment_without_venv(unset=["RUST_LOG"], **extra)


def test_verbosity_flags_and_rust_log_control_debug_logging(
    copy_fixture: CopyFixture, tmp_path: Path
) -> None:
    project = copy_fixture("pyo3-pure")
    args = [MATURIN, "sdist", "-m", project / "Cargo.toml", "-o", tmp_path / "dist"]
    quiet = run(args, env=log_env())
    debug = run([MATURIN, "-vv", *args[1:]], env=log_env())
    from_rust_log = run(args, env=log_env(RUST_LOG="maturin=debug"))
    # like upstream, the log is colored even when stderr is not a terminal
    logs = [without_colours(result.stderr) for result in (quiet, debug, from_rust_log)]
    assert " DEBUG " not in logs[0] and " INFO " not in logs[0]
    assert " DEBUG " in logs[1]
    assert " DEBUG " in logs[2]
    for log in logs:
        assert "Built source distribution" in log


def test_dot_venv_in_a_parent_directory_is_found(copy_fixture: CopyFixture, tmp_path: Path) -> None:
    project = copy_fixture("pyo3-pure")
    dot_venv = make_venv(project / ".venv")
    subdir = project / "src"
    result = run(
        [MATURIN, "develop", "-m", project / "Cargo.toml"], cwd=subdir, env=environment_without_venv()
    )
    assert "Installed" in result.stderr
    assert Venv(dot_venv.root).python_code("import pyo3_pure; print(pyo3_pure.get_value())").strip() == "11"
