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
from support import CopyFixture, Venv, python, replace_in, run


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
