"""The PEP 517 build backend `build-backend = "maturin"`.

Each hook runs `maturin pep517 …` (the native binary installed with this package) with the
interpreter of the build frontend, echoes its output and returns what the binary printed on
its last stdout line (a wheel path, a dist-info directory name or an sdist file name).
"""

from __future__ import annotations

import os
import platform
import shlex
import shutil
import struct
import subprocess
import sys
import sysconfig
from typing import Any, Mapping, Optional

__all__ = [
    "build_editable",
    "build_sdist",
    "build_wheel",
    "get_requires_for_build_editable",
    "get_requires_for_build_sdist",
    "get_requires_for_build_wheel",
    "prepare_metadata_for_build_editable",
    "prepare_metadata_for_build_wheel",
]

ConfigSettings = Optional[Mapping[str, Any]]


def find_maturin_binary() -> str:
    """The `maturin` executable of this installation, else the first one on PATH."""
    exe = "maturin.exe" if sys.platform == "win32" else "maturin"
    candidates = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    for directory in candidates:
        path = os.path.join(directory, exe)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    found = shutil.which("maturin")
    if found is None:
        raise RuntimeError(
            "Could not find the `maturin` executable next to the maturin Python package "
            f"({candidates[0]}) or on PATH. Reinstall this maturin from its checkout: "
            "`pip install --force-reinstall <path to the maturin-hook repo>`."
        )
    return found


def _tool_maturin_config() -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    try:
        with open("pyproject.toml", "rb") as file:
            pyproject = tomllib.load(file)
    except FileNotFoundError:
        return {}
    config: dict[str, Any] = pyproject.get("tool", {}).get("maturin", {})
    return config


def _user_args(config_settings: ConfigSettings) -> list[str]:
    """Arguments from `--config-settings maturin.build-args=…` (or `build-args`), else
    from the MATURIN_PEP517_ARGS environment variable."""
    args: Any = None
    if config_settings:
        args = config_settings.get("maturin.build-args", config_settings.get("build-args"))
    if args is None:
        return shlex.split(os.environ.get("MATURIN_PEP517_ARGS", ""))
    if isinstance(args, str):
        return shlex.split(args)
    return list(args)


def _import_hook_wanted(config_settings: ConfigSettings) -> bool:
    """Whether an editable build carries the import hook: the `import-hook` config setting
    (`pip install -e . -C import-hook=true`, `uv sync -C import-hook=true`), else
    `[tool.maturin] import-hook` in pyproject.toml; off by default."""
    setting = (config_settings or {}).get("import-hook")
    if setting is not None:
        value = str(setting).strip().lower()
        if value not in _BOOLEAN_WORDS:
            raise ValueError(f"config setting import-hook={setting!r}: use true or false")
        return _BOOLEAN_WORDS[value]
    return bool(_tool_maturin_config().get("import-hook", False))


_BOOLEAN_WORDS = {
    **dict.fromkeys(("true", "1", "yes", "on"), True),
    **dict.fromkeys(("false", "0", "no", "off"), False),
}


def _interpreter() -> str:
    use_base = os.environ.get("MATURIN_PEP517_USE_BASE_PYTHON") in {"1", "true"}
    if use_base or _tool_maturin_config().get("use-base-python"):
        # The base interpreter keeps builds from recompiling when switching venvs.
        base: str | None = getattr(sys, "_base_executable", None)
        if base and os.path.exists(base):
            return os.path.realpath(base)
    return sys.executable


def _names_interpreter(args: list[str]) -> bool:
    return any(arg in ("-i", "--interpreter") or arg.startswith("--interpreter=") for arg in args)


def _platform_args() -> list[str]:
    # A 32-bit Python on 64-bit Windows needs a 32-bit build.
    if platform.system().lower() == "windows" and platform.machine().lower() == "amd64":
        if struct.calcsize("P") * 8 == 32:
            return ["--target", "i686-pc-windows-msvc"]
    return []


def _cargo_missing() -> bool:
    return not os.environ.get("MATURIN_NO_INSTALL_RUST") and shutil.which("cargo") is None


def _environment() -> dict[str, str] | None:
    """Without cargo on PATH, install Rust into a temporary directory like upstream does."""
    if not _cargo_missing():
        return None
    from puccinialin import setup_rust  # type: ignore[import-not-found]

    print("Rust not found, installing into a temporary directory")
    extra: dict[str, str] = setup_rust()
    return {**os.environ, **extra}


def _run_pep517_command(args: list[str], env: dict[str, str] | None) -> str:
    """Runs `maturin pep517 …`, echoes its stdout, returns its last line."""
    command = [find_maturin_binary(), "pep517", *args]
    print("Running `{}`".format(" ".join(command)))
    sys.stdout.flush()
    result = subprocess.run(command, stdout=subprocess.PIPE, env=env, check=False)
    # The binary's output is UTF-8 with emojis; the frontend's stdout encoding may not be.
    sys.stdout.buffer.write(result.stdout)
    sys.stdout.flush()
    if result.returncode != 0:
        sys.stderr.write(f"Error: command {command} returned non-zero exit status {result.returncode}\n")
        sys.exit(1)
    lines = result.stdout.decode(errors="replace").strip().splitlines()
    if not lines:
        sys.stderr.write(f"Error: command {command} printed no result\n")
        sys.exit(1)
    return lines[-1]


def _build_wheel(
    wheel_directory: str,
    config_settings: ConfigSettings,
    metadata_directory: str | None,
    editable: bool,
) -> str:
    options = _platform_args()
    with_hook = editable and _import_hook_wanted(config_settings)
    if editable:
        options.append("--editable")
    options.extend(_user_args(config_settings))
    if not _names_interpreter(options):
        options = ["--interpreter", _interpreter(), *options]
    if "--compatibility" not in options and "--manylinux" not in options:
        options = ["--compatibility", "off", *options]

    env = _environment()
    if metadata_directory is not None:
        env = dict(env or os.environ)
        env["MATURIN_PEP517_METADATA_DIR"] = metadata_directory
    hook = ["--with-hook"] if with_hook else []
    wheel_path = _run_pep517_command(["build-wheel", *hook, *options], env)
    file_name = os.path.basename(wheel_path)
    shutil.copy2(wheel_path, os.path.join(wheel_directory, file_name))
    return file_name


def build_wheel(
    wheel_directory: str,
    config_settings: ConfigSettings = None,
    metadata_directory: str | None = None,
) -> str:
    return _build_wheel(wheel_directory, config_settings, metadata_directory, editable=False)


def build_editable(
    wheel_directory: str,
    config_settings: ConfigSettings = None,
    metadata_directory: str | None = None,
) -> str:
    return _build_wheel(wheel_directory, config_settings, metadata_directory, editable=True)


def build_sdist(sdist_directory: str, config_settings: ConfigSettings = None) -> str:
    return _run_pep517_command(["write-sdist", "--sdist-directory", sdist_directory], _environment())


def get_requires_for_build_wheel(config_settings: ConfigSettings = None) -> list[str]:
    requirements = []
    if _tool_maturin_config().get("bindings") == "cffi" and platform.python_implementation() != "PyPy":
        requirements.append("cffi")
    if _cargo_missing():
        requirements.append("puccinialin")
    return requirements


get_requires_for_build_editable = get_requires_for_build_wheel


def get_requires_for_build_sdist(config_settings: ConfigSettings = None) -> list[str]:
    return ["puccinialin"] if _cargo_missing() else []


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: ConfigSettings = None) -> str:
    env = _environment()
    cargo = shutil.which("cargo", path=(env or os.environ).get("PATH"))
    if cargo is None:
        sys.stderr.write(
            "\nCargo, the Rust package manager, is not installed or is not on PATH.\n"
            "This package requires Rust and Cargo to compile extensions. Install it through\n"
            "the system's package manager or via https://rustup.rs/\n\n"
        )
        sys.exit(1)
    args = ["write-dist-info", "--metadata-directory", metadata_directory, *_platform_args()]
    args.extend(_user_args(config_settings))
    if not _names_interpreter(args):
        args.extend(["--interpreter", _interpreter()])
    return _run_pep517_command(args, env)


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel
