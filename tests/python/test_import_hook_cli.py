"""`maturin import-hook site|cache|version`, end to end in fresh venvs: what the commands
print, what they write into sitecustomize.py / usercustomize.py, and what a fresh interpreter
of the venv then does at start-up."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Iterator

import pytest
from support import (
    MATURIN,
    Result,
    Venv,
    environment_without_venv,
    make_hook_venv,
    make_venv,
    maturin_outside_any_venv,
    python,
    read_only,
    require_python,
    run,
    run_at_once,
)

START = "# <maturin_import_hook>"
END = "# </maturin_import_hook>"

SITE_INFO_KEYS = [
    "sitecustomize_path",
    "sitecustomize_exists",
    "sitecustomize_import_hook_installed",
    "user_site_enabled",
    "usercustomize_path",
    "usercustomize_exists",
    "usercustomize_import_hook_installed",
    "project_importer_installed",
    "rust_file_importer_installed",
]
# after upstream's keys, ours: the modules that `maturin develop --with-hook` hooks
OUR_SITE_INFO_KEYS = ["hooked_modules"]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the tests use POSIX venv layouts and locks")


@pytest.fixture
def venv(tmp_path: Path) -> Venv:
    """A fresh venv without pip (quick to make)."""
    return make_venv(tmp_path / "venv", with_pip=False)


def hook(venv: Venv, *args: object, check: bool = True, **env: str) -> Result:
    """`maturin import-hook <args>` with `venv` activated."""
    return venv.maturin("import-hook", *args, env=venv.env(**env), check=check)


def sitecustomize(venv: Venv) -> Path:
    return venv.site_packages / "sitecustomize.py"


def site_info(venv: Venv, **env: str) -> dict[str, object]:
    result = venv.maturin("import-hook", "site", "info", "-f", "json", env=venv.env(**env))
    info: dict[str, object] = json.loads(result.stdout)
    return info


def install_fake_hook_package(venv: Venv) -> None:
    """A stand-in `maturin_import_hook` that reports how the managed block calls it."""
    package = venv.site_packages / "maturin_import_hook"
    package.mkdir()
    (package / "__init__.py").write_text(
        textwrap.dedent(
            """
            import sys

            def install(*, settings, enable_project_importer, enable_rs_file_importer):
                sys.stderr.write(
                    f"hook installed: {settings.kwargs!r} project={enable_project_importer} "
                    f"rs={enable_rs_file_importer}\\n"
                )
            """
        )
    )
    (package / "settings.py").write_text(
        textwrap.dedent(
            """
            class MaturinSettings:
                def __init__(self, **kwargs):
                    self.kwargs = kwargs
            """
        )
    )


# --- site install / uninstall -------------------------------------------------------------


def test_site_install_into_a_fresh_venv_keeps_start_up_clean(venv: Venv) -> None:
    result = hook(venv, "site", "install")
    path = sitecustomize(venv)
    assert result.stdout == (
        f"installed the import hook into '{path}' (project importer: enabled, "
        ".rs file importer: enabled, settings: color=True)\n"
    )
    # the package is not in this venv: the block does nothing, and the user is told so
    assert "maturin_import_hook is not installed" in result.stderr
    text = path.read_text()
    assert text.startswith(START + "\n") and text.endswith(END + "\n")
    assert "enable_project_importer=True" in text and "color=True" in text

    started = python(venv, "print('started')")
    assert started.stdout == "started\n"
    assert started.stderr == ""

    info = site_info(venv)
    assert info["sitecustomize_path"] == str(path)
    assert info["sitecustomize_exists"] is True
    assert info["sitecustomize_import_hook_installed"] is True
    # nothing is activated while the package is missing
    assert info["project_importer_installed"] is False


def test_the_block_activates_the_hook_with_the_given_settings(venv: Venv) -> None:
    install_fake_hook_package(venv)
    result = hook(venv, "site", "install", "--args", "--release -F a,b --config k=v", "--no-rs-file-importer")
    assert "settings: release=True, features=['a', 'b'], color=True, config={'k': 'v'}" in result.stdout
    assert ".rs file importer: disabled" in result.stdout
    assert result.stderr == ""
    assert "release=True" in sitecustomize(venv).read_text()

    started = python(venv, "print('started')")
    assert started.stdout == "started\n"
    assert started.stderr == (
        "hook installed: {'release': True, 'features': ['a', 'b'], 'color': True, "
        "'config': {'k': 'v'}} project=True rs=False\n"
    )
    info = site_info(venv)
    assert info["project_importer_installed"] is True
    assert info["rust_file_importer_installed"] is False


def test_a_failing_hook_does_not_stop_the_interpreter_and_says_how_to_remove_it(venv: Venv) -> None:
    install_fake_hook_package(venv)
    (venv.site_packages / "maturin_import_hook" / "settings.py").write_text("raise ValueError('boom')\n")
    hook(venv, "site", "install")
    started = python(venv, "print('started')")
    assert started.stdout == "started\n"
    assert "Error in sitecustomize" in started.stderr
    assert "boom" in started.stderr
    assert "maturin import-hook site uninstall" in started.stderr


def test_user_content_survives_install_and_uninstall_byte_for_byte(venv: Venv) -> None:
    path = sitecustomize(venv)
    original = b"# mine\r\nimport sys\r\nsys.stderr.write('user code ran\\n')"  # CRLF, no final newline
    path.write_bytes(original)
    path.chmod(0o640)

    hook(venv, "site", "install")
    text = path.read_bytes()
    assert text.startswith(original + b"\r\n" + START.encode() + b"\r\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert python(venv, "print('started')").stderr == "user code ran\n"

    hook(venv, "site", "install", "--force", "--args", "--release")
    assert path.read_bytes().startswith(original + b"\r\n" + START.encode())

    result = hook(venv, "site", "uninstall")
    assert result.stdout == f"removed the import hook from '{path}'; the rest of the file is unchanged\n"
    assert path.read_bytes() == original
    assert stat.S_IMODE(path.stat().st_mode) == 0o640

    # a second round trip, from a file that ends with a line break
    path.write_bytes(b"import os\n")
    hook(venv, "site", "install")
    assert path.read_bytes().startswith(b"import os\n\n" + START.encode())
    hook(venv, "site", "uninstall")
    assert path.read_bytes() == b"import os\n"


def test_install_twice_says_so_and_force_replaces_only_the_block(venv: Venv) -> None:
    path = sitecustomize(venv)
    path.write_text("before = 1\n")
    hook(venv, "site", "install")
    with path.open("a") as file:
        file.write("after = 2\n")
    installed = path.read_text()

    again = hook(venv, "site", "install")
    assert again.stdout == (
        f"the import hook is already installed in '{path}'; nothing changed (use --force to replace it)\n"
    )
    assert path.read_text() == installed

    forced = hook(venv, "site", "install", "-f", "--args", "--release", "--no-project-importer")
    assert forced.stdout.startswith(f"replaced the import hook in '{path}' (project importer: disabled")
    text = path.read_text()
    assert text.count(START) == 1 and text.count(END) == 1
    assert "release=True" in text and "enable_project_importer=False" in text
    assert text.startswith("before = 1\n\n" + START) and text.endswith(END + "\nafter = 2\n")

    hook(venv, "site", "uninstall")
    assert path.read_text() == "before = 1\nafter = 2\n"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--no-project-importer", "--project-importer"], "enable_project_importer=True"),
        (["--project-importer", "--no-project-importer"], "enable_project_importer=False"),
        (["--no-rs-file-importer"], "enable_rs_file_importer=False"),
    ],
)
def test_the_last_importer_flag_wins(venv: Venv, flags: list[str], expected: str) -> None:
    hook(venv, "site", "install", *flags)
    assert expected in sitecustomize(venv).read_text()


def test_invalid_args_are_refused_and_nothing_is_written(venv: Venv) -> None:
    result = hook(venv, "site", "install", "--args", "--release --bogus", check=False)
    assert result.returncode == 1
    assert "invalid --args" in result.stderr and "unknown option `--bogus`" in result.stderr
    assert not sitecustomize(venv).exists()


def test_uninstall_of_a_block_alone_deletes_the_file_and_is_idempotent(venv: Venv) -> None:
    path = sitecustomize(venv)
    hook(venv, "site", "install")
    result = hook(venv, "site", "uninstall")
    assert result.stdout == (
        f"removed the import hook from '{path}' and deleted the file, which had nothing else in it\n"
    )
    assert not path.exists()
    again = hook(venv, "site", "uninstall")
    assert again.returncode == 0
    assert again.stdout == f"the import hook is not installed: '{path}' does not exist; nothing changed\n"
    path.write_text("import os\n")
    assert "is not installed in" in hook(venv, "site", "uninstall").stdout
    assert path.read_text() == "import os\n"


def test_a_broken_block_is_reported_and_can_be_removed(venv: Venv) -> None:
    path = sitecustomize(venv)
    hook(venv, "site", "install")
    block_without_end = path.read_text().replace(END + "\n", "")
    path.write_text("import sys\n\n" + block_without_end + "sys.stderr.write('user code ran\\n')\n")

    info = hook(venv, "site", "info")
    assert "sitecustomize_import_hook_installed: False" in info.stdout
    assert "line 3 has the start marker" in info.stderr
    assert "maturin import-hook site install --force" in info.stderr
    assert "maturin import-hook site uninstall" in info.stderr

    refused = hook(venv, "site", "install", check=False)
    assert refused.returncode == 1
    assert "no end marker" in refused.stderr and "site install --force" in refused.stderr

    removed = hook(venv, "site", "uninstall")
    assert "including a broken block without end marker: lines 3-" in removed.stdout
    assert path.read_text() == "import sys\nsys.stderr.write('user code ran\\n')\n"
    assert python(venv, "print('started')").stderr == "user code ran\n"


def test_force_repairs_a_broken_block(venv: Venv) -> None:
    path = sitecustomize(venv)
    hook(venv, "site", "install")
    path.write_text(path.read_text().replace(END + "\n", "") + "x = 1\n")
    hook(venv, "site", "install", "--force")
    text = path.read_text()
    assert text.count(START) == 1 and text.endswith(END + "\nx = 1\n")
    assert site_info(venv)["sitecustomize_import_hook_installed"] is True


def test_read_only_site_packages_is_a_clear_error_and_loses_nothing(venv: Venv) -> None:
    path = sitecustomize(venv)
    path.write_text("import os\n")
    with read_only(venv.site_packages):
        result = hook(venv, "site", "install", check=False)
    assert result.returncode == 1
    assert f"cannot write {path}" in result.stderr
    assert f"{venv.site_packages} is not writable by you" in result.stderr
    assert "--user" in result.stderr and "The file was not changed" in result.stderr
    assert path.read_text() == "import os\n"
    assert sorted(p.name for p in venv.site_packages.glob(".sitecustomize*")) == []


def test_a_symlinked_sitecustomize_is_edited_where_it_points(venv: Venv, tmp_path: Path) -> None:
    real = tmp_path / "shared_sitecustomize.py"
    real.write_text("import os\n")
    sitecustomize(venv).symlink_to(real)
    hook(venv, "site", "install")
    assert sitecustomize(venv).is_symlink()
    assert START in real.read_text()
    hook(venv, "site", "uninstall")
    assert real.read_text() == "import os\n" and sitecustomize(venv).is_symlink()
    # a target left with nothing in it stays, empty, so the link does not dangle
    real.write_text("")
    hook(venv, "site", "install")
    result = hook(venv, "site", "uninstall")
    assert result.stdout.endswith(f"; {real} is now empty\n")
    assert real.read_text() == "" and sitecustomize(venv).resolve() == real


def test_a_shadowing_sitecustomize_earlier_on_sys_path_is_reported(venv: Venv, tmp_path: Path) -> None:
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "sitecustomize.py").write_text("")
    result = hook(venv, "site", "install", PYTHONPATH=str(shadow))
    assert f"imports {shadow / 'sitecustomize.py'} as sitecustomize" in result.stderr
    assert "the import hook is not activated" in result.stderr


def test_site_info_json_has_upstreams_keys(venv: Venv) -> None:
    info = site_info(venv)
    assert list(info) == SITE_INFO_KEYS + OUR_SITE_INFO_KEYS
    assert info["hooked_modules"] is None
    assert info["sitecustomize_path"] == str(sitecustomize(venv))
    assert info["sitecustomize_exists"] is False
    assert info["sitecustomize_import_hook_installed"] is False
    # like upstream, str(site.ENABLE_USER_SITE): a venv without system site packages disables it
    assert info["user_site_enabled"] == "False"
    assert str(info["usercustomize_path"]).endswith("usercustomize.py")
    text = hook(venv, "site", "info").stdout
    assert text.splitlines()[1] == "sitecustomize_exists: False"
    assert [line.split(":")[0] for line in text.splitlines()] == SITE_INFO_KEYS + OUR_SITE_INFO_KEYS


def test_user_install_goes_into_usercustomize_of_the_user_site(tmp_path: Path) -> None:
    root = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", root])
    venv = Venv(root)
    user_base = str(tmp_path / "userbase")
    install_fake_hook_package(venv)

    result = hook(venv, "site", "install", "--user", PYTHONUSERBASE=user_base)
    info = site_info(venv, PYTHONUSERBASE=user_base)
    usercustomize = Path(str(info["usercustomize_path"]))
    assert str(usercustomize).startswith(user_base + os.sep)
    assert result.stdout.startswith(f"installed the import hook into '{usercustomize}'")
    assert result.stderr == ""
    assert "site uninstall --user" in usercustomize.read_text()
    assert info["user_site_enabled"] == "True"
    assert info["usercustomize_import_hook_installed"] is True
    assert info["sitecustomize_exists"] is False
    assert info["project_importer_installed"] is True
    started = python(venv, "print('started')", env=venv.env(PYTHONUSERBASE=user_base))
    assert started.stderr.startswith("hook installed:")

    hook(venv, "site", "uninstall", "--user", PYTHONUSERBASE=user_base)
    assert not usercustomize.exists()


def test_user_install_warns_when_the_user_site_is_disabled(venv: Venv, tmp_path: Path) -> None:
    result = hook(venv, "site", "install", "--user", PYTHONUSERBASE=str(tmp_path / "userbase"))
    assert "the user site is disabled" in result.stderr
    assert "--system-site-packages" in result.stderr


# --- cache ----------------------------------------------------------------------------------


UPSTREAM_CACHE_KEYS = ("path", "exists", "size")
"""What upstream's `cache info` shows; ours adds the store's keys after them (see test_store.py)."""


def cache_info(venv: Venv, **env: str) -> dict[str, object]:
    """The keys of `cache info` that upstream has too."""
    result = venv.maturin("import-hook", "cache", "info", "-f", "json", env=venv.env(**env))
    info: dict[str, object] = json.loads(result.stdout)
    assert list(info)[: len(UPSTREAM_CACHE_KEYS)] == list(UPSTREAM_CACHE_KEYS), info
    return {key: info[key] for key in UPSTREAM_CACHE_KEYS}


def fill_cache(cache: Path) -> None:
    (cache / "projects" / "x").mkdir(parents=True)
    (cache / "projects" / "x" / "lock").write_bytes(b"")
    (cache / "projects" / "x" / "state.json").write_bytes(b"x" * 300_000)


def test_cache_info_is_in_the_venv(venv: Venv) -> None:
    cache = venv.root / "maturin_build_cache"
    assert cache_info(venv) == {"path": str(cache), "exists": False, "size": None}
    fill_cache(cache)
    assert cache_info(venv) == {"path": str(cache), "exists": True, "size": "0.29 MiB"}
    text = hook(venv, "cache", "info").stdout
    assert text.startswith(f"path: {cache}\nexists: True\nsize: 0.29 MiB\n"), text


def test_cache_info_follows_maturin_build_dir(venv: Venv, tmp_path: Path) -> None:
    build_dir = tmp_path / "build-dir"
    info = cache_info(venv, MATURIN_BUILD_DIR=str(build_dir))
    assert Path(str(info["path"])).parent == build_dir
    assert info["exists"] is False


def test_each_venv_and_interpreter_version_gets_its_own_cache(tmp_path: Path) -> None:
    """CPython 3.8 to 3.13 and PyPy, as far as they are installed, side by side: one shared
    MATURIN_BUILD_DIR gets one `<python version>_<hash>` directory per venv."""
    pythons = []
    for version in ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13"):
        with contextlib.suppress(pytest.skip.Exception):
            pythons.append(require_python(version))
    pypy = shutil.which("pypy3")
    if pypy is not None:
        pythons.append(pypy)
    if len(pythons) < 2:
        pytest.skip(f"needs two Python interpreters of different versions, found {pythons}")
    venvs = [
        make_venv(tmp_path / f"venv-{i}", interpreter, with_pip=False)
        for i, interpreter in enumerate(pythons)
    ]
    shared = tmp_path / "shared-build-dir"
    command = [MATURIN, "import-hook", "cache", "info", "-f", "json"]
    at_once = run_at_once([(command, venv.env(MATURIN_BUILD_DIR=str(shared))) for venv in venvs])
    paths = [Path(json.loads(result.stdout)["path"]) for result in at_once]
    assert len(set(paths)) == len(venvs), paths
    for path, venv in zip(paths, venvs):
        version = venv.python_code("import platform; print(platform.python_version())").strip()
        assert path.parent == shared and path.name.startswith(f"{version}_"), (path, version)
        assert cache_info(venv)["path"] == str(venv.root / "maturin_build_cache")


def test_cache_clear_yes_removes_the_cache(venv: Venv) -> None:
    cache = venv.root / "maturin_build_cache"
    fill_cache(cache)
    result = hook(venv, "cache", "clear", "--yes")
    assert result.stdout == (
        f"clearing '{cache}'\nThis will free 0.29 MiB\ncleared '{cache}' (0.29 MiB freed)\n"
    )
    assert not cache.exists()
    assert cache_info(venv)["exists"] is False
    again = hook(venv, "cache", "clear", "-y")
    assert again.stdout == f"the cache '{cache}' does not exist\n"


def test_cache_clear_without_yes_needs_a_terminal(venv: Venv) -> None:
    cache = venv.root / "maturin_build_cache"
    fill_cache(cache)
    result = run([MATURIN, "import-hook", "cache", "clear"], env=venv.env(), check=False)
    assert result.returncode == 1
    assert "stdin is not a terminal" in result.stderr and "--yes" in result.stderr
    assert cache.is_dir()


@pytest.mark.parametrize(("answer", "cleared"), [("n", False), ("yes", True)])
def test_cache_clear_asks_on_a_terminal(venv: Venv, answer: str, cleared: bool) -> None:
    import pty

    cache = venv.root / "maturin_build_cache"
    fill_cache(cache)
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [MATURIN, "import-hook", "cache", "clear"],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=venv.env(),
            text=True,
        )
        os.write(controller, f"maybe\n{answer}\n".encode())
        stdout, stderr = process.communicate(timeout=60)
    finally:
        os.close(terminal)
        os.close(controller)
    assert process.returncode == 0, stderr
    assert stdout.count("are you sure you want to continue (y/n)? ") == 2
    assert "invalid response, please answer y/yes or n/no" in stdout
    assert cache.exists() is not cleared
    assert ("not clearing" in stdout) is not cleared


@contextlib.contextmanager
def project_lock_held(cache: Path) -> Iterator[Path]:
    """An exclusive lock on a project lock file, as a running build holds it."""
    import fcntl

    lock = cache / "projects" / "x" / "lock"
    with lock.open("a") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            yield lock
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


def test_cache_clear_refuses_while_a_build_holds_a_lock(venv: Venv) -> None:
    cache = venv.root / "maturin_build_cache"
    fill_cache(cache)
    with project_lock_held(cache) as lock:
        refused = hook(venv, "cache", "clear", "--yes", check=False)
        assert refused.returncode == 1
        assert f"a build is in progress ({lock} is locked by another process)" in refused.stderr
        assert "--force" in refused.stderr
        assert (cache / "projects" / "x" / "state.json").is_file()
    # released: clearing works
    hook(venv, "cache", "clear", "--yes")
    assert not cache.exists()


def test_cache_clear_force_ignores_a_held_lock(venv: Venv) -> None:
    cache = venv.root / "maturin_build_cache"
    fill_cache(cache)
    with project_lock_held(cache):
        result = hook(venv, "cache", "clear", "--yes", "--force")
    assert "clearing the cache anyway because of --force" in result.stderr
    assert not cache.exists()


# --- version --------------------------------------------------------------------------------


def test_version_json_has_upstreams_fields(new_venv: Venv) -> None:
    info = json.loads(hook(new_venv, "version", "-f", "json").stdout)
    assert list(info) == ["OS", "Python", "maturin-import-hook", "maturin", "rustc", "pip"]
    implementation = new_venv.python_code(
        "import platform; print(platform.python_implementation(), platform.python_version())"
    )
    assert info["Python"] == implementation.strip()
    assert info["OS"].startswith(
        new_venv.python_code("import platform; print(platform.system())").strip() + "-"
    )
    assert info["maturin-import-hook"].startswith("maturin-hook ")
    assert info["maturin"] == run([MATURIN, "--version"]).stdout.strip()
    assert info["rustc"] == run(["rustc", "-V"]).stdout.strip()
    pip_version = new_venv.python_code("import pip; print(pip.__version__)").strip()
    assert info["pip"] == pip_version
    text = hook(new_venv, "version").stdout
    assert f"pip: {pip_version}\n" in text and text.startswith("OS: ")


def test_version_without_pip_says_not_installed(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "venv", with_pip=False)
    assert json.loads(hook(venv, "version", "-f", "json").stdout)["pip"] == "not installed"


# --- which environment ----------------------------------------------------------------------


def test_without_an_environment_the_commands_say_how_to_get_one(tmp_path: Path) -> None:
    maturin = maturin_outside_any_venv(tmp_path)
    result = run(
        [maturin, "import-hook", "site", "info"], cwd=tmp_path, env=environment_without_venv(), check=False
    )
    assert result.returncode == 1
    assert "Couldn't find a virtualenv or conda environment" in result.stderr


def test_the_binary_of_a_venv_works_on_its_venv_without_activation(tmp_path: Path) -> None:
    venv = make_hook_venv(tmp_path / "venv")
    for command in (["site", "info"], ["cache", "info"]):
        result = run(
            [venv.bin_dir / "maturin", "import-hook", *command, "-f", "json"],
            cwd=tmp_path,
            env=environment_without_venv(),
        )
        assert str(venv.root) in result.stdout, result.describe()


def test_a_dot_venv_in_the_current_directory_is_used(tmp_path: Path) -> None:
    dot_venv = make_venv(tmp_path / ".venv", with_pip=False)
    result = run(
        [MATURIN, "import-hook", "cache", "info", "-f", "json"], cwd=tmp_path, env=environment_without_venv()
    )
    assert json.loads(result.stdout)["path"] == str(dot_venv.root / "maturin_build_cache")
    installed = run([MATURIN, "import-hook", "site", "install"], cwd=tmp_path, env=environment_without_venv())
    assert str(dot_venv.root) in installed.stdout


def test_a_venv_without_python_is_reported(tmp_path: Path) -> None:
    (tmp_path / "not-a-venv").mkdir()
    env = environment_without_venv(VIRTUAL_ENV=str(tmp_path / "not-a-venv"))
    result = run([MATURIN, "import-hook", "site", "info"], env=env, check=False)
    assert result.returncode == 1
    assert "is not a Python environment: there is no interpreter at" in result.stderr
