"""Whom the import hook believes: with the build cache on a directory others can write
(`MATURIN_BUILD_DIR=/tmp/...`), another local user must not be able to make the victim's next
import run a command of theirs. The victim (root, as these tests run in CI) and the attacker
(`nobody`) are different users, by `setpriv`."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Iterator

import pytest
from support import FIXTURES_DIR, CopyFixture, Venv, copy_project, make_hook_venv, python, replace_in, run


def attacker() -> list[str]:
    """The command prefix that runs a command as `nobody`, else skip saying why."""
    if os.geteuid() != 0:
        pytest.skip("playing victim and attacker as two users needs root")
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed: cannot run the attacker as another user")
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("there is no user nobody to play the attacker")
    return [setpriv, f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]


@pytest.fixture
def shared_build_dir() -> Iterator[Path]:
    """A build directory anyone can write, as /tmp (mode 1777); outside the test's own tmp dir,
    which other users cannot enter."""
    directory = Path(tempfile.mkdtemp(prefix="maturin-shared-"))
    directory.chmod(0o1777)
    yield directory
    shutil.rmtree(directory)


def test_a_record_planted_in_a_shared_build_dir_is_not_run(
    copy_fixture: CopyFixture, hook_venv: Venv, shared_build_dir: Path
) -> None:
    as_attacker = attacker()
    source = copy_fixture("pyo3-mixed")
    env = hook_venv.env(MATURIN_BUILD_DIR=str(shared_build_dir))
    hook_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml", env=env)
    [record] = shared_build_dir.glob("*/projects/develop-*/develop.json")
    state_dir = record.parent

    # the attacker makes the project's state directory before the victim does...
    for made in sorted(shared_build_dir.iterdir()):
        shutil.rmtree(made)
    run([*as_attacker, "sh", "-c", 'umask 0 && mkdir -p "$0"', state_dir])
    assert state_dir.stat().st_uid != 0
    hook_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml", env=env)

    # ...and replaces the record the victim's develop wrote there with one whose replay runs a
    # shell first
    pwned = shared_build_dir / "PWNED"
    planted = json.loads(record.read_text())
    command = planted["replay"]["steps"][0]["command"]
    command["args"] = ["-c", f'id > {pwned}; exec "$0" "$@"', command["program"], *command["args"]]
    command["program"] = "/bin/sh"
    offer = shared_build_dir / "offer.json"
    offer.write_text(json.dumps(planted))
    offer.chmod(0o644)
    run([*as_attacker, "sh", "-c", 'rm -f "$1" && cat "$0" > "$1"', offer, record])
    assert record.stat().st_uid != 0
    assert stat.S_IMODE(state_dir.stat().st_mode) & 0o002

    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 22;", "VALUE: i64 = 23;")
    result = python(hook_venv, "import pyo3_mixed; print(pyo3_mixed.get_value())", env=env)
    assert not pwned.exists(), f"the planted command ran: {pwned.read_text()}"
    assert result.stdout.strip() == "23", result.describe()
    assert f"{record} is not trusted" in result.stderr, result.describe()


def test_the_hook_makes_its_directories_private(
    copy_fixture: CopyFixture, hook_venv: Venv, shared_build_dir: Path
) -> None:
    source = copy_fixture("pyo3-mixed")
    env = hook_venv.env(MATURIN_BUILD_DIR=str(shared_build_dir))
    hook_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml", env=env)
    [record] = shared_build_dir.glob("*/projects/develop-*/develop.json")
    made = [record.parent, *record.parent.parents]
    for directory in made[: made.index(shared_build_dir)]:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
    assert stat.S_IMODE(record.stat().st_mode) == 0o600


@pytest.fixture
def readable_dir() -> Iterator[Path]:
    """A directory every user can read, outside the test's own tmp dir, which other users
    cannot enter."""
    directory = Path(tempfile.mkdtemp(prefix="maturin-readable-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory)


def test_a_user_who_cannot_write_the_environment_imports_an_up_to_date_project(
    readable_dir: Path,
) -> None:
    """A venv installed by one user (a shared or system-wide install, a container image) and
    imported by another, who can read it but not write it, nor the owner's build cache."""
    as_reader = attacker()
    venv = make_hook_venv(readable_dir / "venv")
    source = copy_project(FIXTURES_DIR / "pyo3-mixed", readable_dir / "project")
    venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml")
    reader_env = venv.env(HOME="/nonexistent")
    reader_env.pop("MATURIN_BUILD_DIR", None)
    code = "import pyo3_mixed; print(pyo3_mixed.get_value())"
    result = run([*as_reader, venv.python, "-c", code], env=reader_env, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "22", result.describe()
    assert result.stderr == "", result.describe()
    # a real change needs a rebuild, which only the environment's owner can make: said so
    replace_in(source / "src" / "lib.rs", "VALUE: i64 = 22;", "VALUE: i64 = 23;")
    result = run([*as_reader, venv.python, "-c", code], env=reader_env, check=False)
    assert result.returncode == 1, result.describe()
    assert "something it is built from changed since it was built" in result.stderr, result.describe()
    assert f"you cannot write its environment {venv.root}, which belongs to uid 0" in result.stderr
    assert "Its owner rebuilds it by importing it" in result.stderr
