"""settings.py, error.py and _logging.py of maturin_import_hook, checked against the PyPI package.

The modules are loaded from the source tree by path, so these tests need no rebuild of the wheel
for a change of them; `MaturinSettings.from_args` parses with the installed runtime's native module
(the grammar is in Rust, shared with `site install --args`). The logger is tested in fresh
interpreters, since its configuration is process-wide.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import pickle
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support import (
    REPO_ROOT,
    UPSTREAM_IMPORT_HOOK_VERSION,
    Result,
    Venv,
    make_hook_venv,
    make_venv,
    python,
    require_python,
    run,
)

SOURCE_DIR = REPO_ROOT / "import-hook" / "python" / "maturin_import_hook"
UPSTREAM = f"maturin-import-hook=={UPSTREAM_IMPORT_HOOK_VERSION}"


def load_source_module(name: str) -> ModuleType:
    module_name = f"_maturin_import_hook_source_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, SOURCE_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickle look the module up by name
    spec.loader.exec_module(module)
    return module


settings_module = load_source_module("settings")
error_module = load_source_module("error")
MaturinSettings: Any = settings_module.MaturinSettings

# (name, default) of upstream 0.3.0's MaturinSettings, in order
UPSTREAM_FIELDS: list[tuple[str, object]] = [
    ("release", False),
    ("strip", False),
    ("quiet", False),
    ("jobs", None),
    ("profile", None),
    ("features", None),
    ("all_features", False),
    ("no_default_features", False),
    ("target", None),
    ("ignore_rust_version", False),
    ("color", None),
    ("frozen", False),
    ("locked", False),
    ("offline", False),
    ("config", None),
    ("unstable_flags", None),
    ("verbose", 0),
    ("rustc_flags", None),
    ("auditwheel", None),
    ("zig", False),
    ("extras", None),
    ("uv", False),
    ("skip_install", False),
]
OUR_FIELDS: list[tuple[str, object]] = [("group", None), ("generate_stubs", False)]
BUILD_ONLY = {"auditwheel", "zig"}
DEVELOP_ONLY = {"extras", "uv", "skip_install", "group", "generate_stubs"}

# a non-default value for every field, and the flags it gives
FIELD_VALUES: dict[str, tuple[object, list[str]]] = {
    "release": (True, ["--release"]),
    "strip": (True, ["--strip"]),
    "quiet": (True, ["--quiet"]),
    "jobs": (3, ["--jobs", "3"]),
    "profile": ("dev-opt", ["--profile", "dev-opt"]),
    "features": (["a", "b/c"], ["--features", "a,b/c"]),
    "all_features": (True, ["--all-features"]),
    "no_default_features": (True, ["--no-default-features"]),
    "target": ("x86_64-unknown-linux-gnu", ["--target", "x86_64-unknown-linux-gnu"]),
    "ignore_rust_version": (True, ["--ignore-rust-version"]),
    "color": (False, ["--color", "never"]),
    "frozen": (True, ["--frozen"]),
    "locked": (True, ["--locked"]),
    "offline": (True, ["--offline"]),
    "config": ({"profile.dev.opt-level": "1", "net.retry": "2"}, ["--config", "profile.dev.opt-level=1"]),
    "unstable_flags": (["unstable-options", "x"], ["-Z", "unstable-options", "-Z", "x"]),
    "verbose": (2, ["-vv"]),
    "rustc_flags": (["-C", "opt-level=1"], ["--", "-C", "opt-level=1"]),
    "auditwheel": ("skip", ["--auditwheel", "skip"]),
    "zig": (True, ["--zig"]),
    "extras": (["test", "docs"], ["--extras", "test,docs"]),
    "uv": (True, ["--uv"]),
    "skip_install": (True, ["--skip-install"]),
    "group": (["test", "docs"], ["--group", "test,docs"]),
    "generate_stubs": (True, ["--generate-stubs"]),
}


def applies_to(field: str, cmd: str) -> bool:
    return not ((cmd == "develop" and field in BUILD_ONLY) or (cmd == "build" and field in DEVELOP_ONLY))


# ---------------------------------------------------------------------------------------- settings


def test_fields_are_upstreams_in_order_then_ours() -> None:
    fields = dataclasses.fields(MaturinSettings)
    assert [(f.name, f.default) for f in fields] == UPSTREAM_FIELDS + OUR_FIELDS
    assert set(FIELD_VALUES) == {f.name for f in fields}
    assert settings_module.__all__ == ["MaturinSettings"]


def test_default_turns_on_colour_only() -> None:
    assert MaturinSettings.default() == MaturinSettings(color=True)
    assert MaturinSettings.default().to_args("develop") == ["--color", "always"]
    assert MaturinSettings.default().to_args("build") == ["--color", "always"]
    assert MaturinSettings().to_args("develop") == []
    # what the importers pass when given no settings: no --color, so that colour follows where
    # the output goes (MaturinSettings.default(), given explicitly, still forces it)
    assert list(load_source_module("_default_settings").DEFAULT_ARGS) == []


@pytest.mark.parametrize("cmd", ["develop", "build"])
@pytest.mark.parametrize("field", list(FIELD_VALUES))
def test_each_field_round_trips(field: str, cmd: str) -> None:
    value, flags = FIELD_VALUES[field]
    settings = MaturinSettings(**{field: value})
    args = settings.to_args(cmd)
    if not applies_to(field, cmd):
        assert args == []
        return
    assert args[: len(flags)] == flags
    assert MaturinSettings.from_args(args) == settings


@pytest.mark.parametrize("cmd", ["develop", "build"])
def test_all_fields_together_round_trip(cmd: str) -> None:
    settings = MaturinSettings(
        **{name: value for name, (value, _) in FIELD_VALUES.items() if applies_to(name, cmd)}
    )
    args = settings.to_args(cmd)
    assert args[-3:] == ["--", "-C", "opt-level=1"]
    assert MaturinSettings.from_args(args) == settings
    # the fields of the other command are ignored, not lost in the round trip
    everything = MaturinSettings(**{name: value for name, (value, _) in FIELD_VALUES.items()})
    assert everything.to_args(cmd) == args


def test_our_flags_are_spelled_as_maturin_1_16_takes_them() -> None:
    grouped = MaturinSettings(group=["test", "docs"], generate_stubs=True)
    assert grouped.to_args("develop") == ["--group", "test,docs", "--generate-stubs"]
    # `build --group` does not exist; stubs only for develop, as upstream's main
    assert grouped.to_args("build") == []
    assert MaturinSettings(group=["X"]).to_args("develop") == ["--group", "X"]
    assert MaturinSettings(group=[]).to_args("develop") == []
    assert MaturinSettings(generate_stubs=True, rustc_flags=["-g"]).to_args("develop") == [
        "--generate-stubs",
        "--",
        "-g",
    ]
    assert MaturinSettings.from_args(["-G", "a,b", "--group", "c"]).group == ["a", "b", "c"]


def test_from_args_takes_short_and_repeated_flags() -> None:
    args = "-r -q -j 4 -F a,b -F c -F d --color auto -Z x -vvv -E e -E f,g --config a=b --config c=d=e x y"
    parsed = MaturinSettings.from_args([*args.split(), "--", "-C", "z"])
    assert parsed == MaturinSettings(
        release=True,
        quiet=True,
        jobs=4,
        features=["a", "b", "c", "d"],
        color=None,
        unstable_flags=["x"],
        verbose=3,
        extras=["e", "f", "g"],
        config={"a": "b", "c": "d=e"},
        rustc_flags=["x", "y", "-C", "z"],
    )
    assert MaturinSettings.from_args(["--features", "a b"]).features == ["a", "b"]
    assert MaturinSettings.from_args(["--", "--release"]) == MaturinSettings(rustc_flags=["--release"])
    assert MaturinSettings.from_args(["--release", "--"]) == MaturinSettings(release=True)
    assert MaturinSettings.from_args([]) == MaturinSettings()


@pytest.mark.parametrize(
    "args",
    [["--jobs", "many"], ["--no-such-flag"], ["--config", "no-value"], ["--auditwheel", "fix"], ["-h"]],
)
def test_bad_arguments_raise_value_error(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError):
        MaturinSettings.from_args(args)
    assert capsys.readouterr() == ("", "")


def test_parser_gives_one_attribute_per_field() -> None:
    parser = MaturinSettings.parser()
    assert isinstance(parser, argparse.ArgumentParser)
    assert isinstance(parser, settings_module.NonExitingArgumentParser)
    namespace = parser.parse_args(["--release", "--generate-stubs"])
    assert set(vars(namespace)) == {f.name for f in dataclasses.fields(MaturinSettings)}


# ------------------------------------------------------------------------ against upstream 0.3.0

# settings of upstream's fields only, as JSON-able keyword arguments
COMPARED_SETTINGS: list[dict[str, Any]] = [
    {},
    {"color": True},
    {"color": False, "release": True, "strip": True},
    {name: value for name, (value, _) in FIELD_VALUES.items() if name not in ("group", "generate_stubs")},
    {"features": [], "extras": [], "config": {}, "unstable_flags": [], "rustc_flags": []},
    {"jobs": 0, "verbose": 5, "profile": "release", "target": "aarch64-apple-darwin", "extras": ["a"]},
    {"auditwheel": "repair", "zig": True, "uv": True, "skip_install": True, "quiet": True},
    {"config": {"k": "v"}, "unstable_flags": ["a"], "rustc_flags": ["-C", "target-cpu=native"]},
]
COMPARED_ARGS: list[list[str]] = [
    [],
    ["--release", "--strip", "-j", "2", "--features", "a,b", "-F", "c d", "--color", "never"],
    ["-r", "-q", "-vv", "-Z", "x", "--config", "a=b", "--", "-C", "x"],
    ["--auditwheel", "check", "--zig", "-E", "a,b", "--uv", "--skip-install", "--locked"],
    ["--profile", "p", "--target", "t", "--all-features", "--no-default-features", "--frozen"],
    ["--offline", "--ignore-rust-version", "--color", "always", "positional", "--release"],
]

UPSTREAM_SCRIPT = textwrap.dedent(
    """
    import dataclasses, json, sys
    from maturin_import_hook.settings import MaturinSettings
    request = json.load(sys.stdin)
    out = {"to_args": [], "from_args": []}
    for kwargs in request["settings"]:
        s = MaturinSettings(**kwargs)
        out["to_args"].append([s.to_args("develop"), s.to_args("build")])
    for args in request["args"]:
        try:
            out["from_args"].append(dataclasses.asdict(MaturinSettings.from_args(args)))
        except ValueError as e:
            out["from_args"].append(repr(e))
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def upstream_venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    if sys.version_info < (3, 9):
        pytest.skip(f"{UPSTREAM} requires Python >= 3.9")
    venv = make_venv(tmp_path_factory.mktemp("upstream") / "venv")
    install = run(
        [venv.python, "-m", "pip", "install", "--disable-pip-version-check", "--retries", "1", UPSTREAM],
        env=venv.env(),
        check=False,
        timeout=300,
    )
    if install.returncode != 0:
        pytest.skip(f"could not install {UPSTREAM} from PyPI:\n{install.stderr[-2000:]}")
    return venv


def run_upstream(venv: Venv, settings: list[dict[str, Any]], args: list[list[str]]) -> dict[str, Any]:
    request = json.dumps({"settings": settings, "args": args})
    completed = run([venv.python, "-c", UPSTREAM_SCRIPT], env=venv.env(), stdin=request)
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def test_to_args_and_from_args_equal_upstreams(upstream_venv: Venv) -> None:
    ours_to_args = [
        [MaturinSettings(**kwargs).to_args("develop"), MaturinSettings(**kwargs).to_args("build")]
        for kwargs in COMPARED_SETTINGS
    ]
    # also parse what to_args gives, and see that upstream reads it back as we do
    round_trip_args = [args for pair in ours_to_args for args in pair]
    upstream = run_upstream(upstream_venv, COMPARED_SETTINGS, COMPARED_ARGS + round_trip_args)

    assert ours_to_args == upstream["to_args"]
    extra = {name for name, _ in OUR_FIELDS}
    for args, theirs in zip(COMPARED_ARGS + round_trip_args, upstream["from_args"]):
        ours = dataclasses.asdict(MaturinSettings.from_args(args))
        assert {k: v for k, v in ours.items() if k not in extra} == theirs, args
        assert all(ours[name] == default for name, default in OUR_FIELDS)


# ------------------------------------------------------------------------------------------ errors


def test_errors_are_import_errors() -> None:
    ImportHookError = error_module.ImportHookError
    MaturinError = error_module.MaturinError
    BuildError = error_module.BuildError
    assert issubclass(ImportHookError, ImportError)
    assert issubclass(MaturinError, ImportHookError)
    assert issubclass(BuildError, MaturinError)
    assert set(error_module.__all__) == {"ImportHookError", "MaturinError", "BuildError"}
    # upstream's two keep ImportError's constructor
    error = MaturinError("maturin not found", name="pkg", path="/x")
    assert (str(error), error.name, error.path, error.msg) == (
        "maturin not found",
        "pkg",
        "/x",
        "maturin not found",
    )
    assert str(ImportHookError("no source files found")) == "no source files found"
    assert BuildError.__doc__ and "diagnostics" in BuildError.__doc__


def test_build_error_carries_the_diagnostics() -> None:
    BuildError = error_module.BuildError
    diagnostics = "error[E0425]: cannot find value `x` in this scope\n --> src/lib.rs:3:5\n"
    error = BuildError("my_project", "cargo build failed", diagnostics, name="my_project")
    assert (error.project, error.reason, error.diagnostics) == (
        "my_project",
        "cargo build failed",
        diagnostics,
    )
    assert error.name == "my_project"
    message = str(error)
    # upstream's words first (people grep for them), then ours
    assert message.startswith('Failed to build package with maturin: "my_project": cargo build failed\n')
    assert "error[E0425]: cannot find value `x`" in message and "src/lib.rs:3:5" in message
    assert (
        str(BuildError("p", "cargo not found"))
        == 'Failed to build package with maturin: "p": cargo not found'
    )
    with pytest.raises(ImportError, match="E0425"):
        raise error

    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is BuildError
    assert (copy.project, copy.reason, copy.diagnostics, copy.name, str(copy)) == (
        "my_project",
        "cargo build failed",
        diagnostics,
        "my_project",
        message,
    )


# ----------------------------------------------------------------------------------------- logging

LOAD_LOGGING = textwrap.dedent(
    f"""
    import logging, sys
    sys.path.insert(0, {str(SOURCE_DIR)!r})
    import _logging as hook_logging
    logger = logging.getLogger("maturin_import_hook")
    assert hook_logging.logger is logger
    """
)


def run_with_logging(code: str) -> Result:
    """Runs `code` in a fresh interpreter (this one's) that has loaded the hook's _logging."""
    return run([sys.executable, "-c", LOAD_LOGGING + textwrap.dedent(code)])


def test_logger_prints_info_to_stderr_and_does_not_propagate() -> None:
    result = run_with_logging(
        """
        logging.basicConfig(stream=sys.stdout, level=logging.DEBUG, format="ROOT %(message)s")
        assert logger.propagate is False and logger.level == logging.INFO
        logger.debug("hidden")
        logger.info('building "%s"', "my_project")
        logger.warning("careful")
        logging.getLogger("maturin_import_hook.sub").error("child")
        """
    )
    assert result.stdout == ""
    assert result.stderr == (
        'building "my_project"\n'
        "maturin_import_hook [WARNING] careful\n"
        "maturin_import_hook.sub [ERROR] child\n"
    )


def test_reset_logger_restores_propagation() -> None:
    result = run_with_logging(
        """
        logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="ROOT %(levelname)s %(message)s")
        logger.info("before")
        hook_logging.reset_logger()
        assert logger.propagate is True and logger.level == logging.NOTSET and logger.handlers == []
        logger.info("after")
        hook_logging.reset_logger()  # twice is harmless
        """
    )
    assert result.stderr == "before\n"
    assert result.stdout == "ROOT INFO after\n"


def test_reset_logger_keeps_handlers_of_the_program() -> None:
    result = run_with_logging(
        """
        mine = logging.StreamHandler(sys.stdout)
        logger.addHandler(mine)
        hook_logging.reset_logger()
        assert logger.handlers == [mine], logger.handlers
        """
    )
    assert result.stderr == ""


def test_logger_follows_stderr_and_is_configured_once() -> None:
    result = run_with_logging(
        """
        import importlib, io
        importlib.reload(hook_logging)
        assert len(logger.handlers) == 1, logger.handlers
        captured = io.StringIO()
        sys.stderr, real = captured, sys.stderr
        logger.info("into the capture")
        sys.stderr = real
        assert captured.getvalue() == "into the capture\\n", captured.getvalue()
        sys.stderr = None
        logger.info("nowhere")  # no stderr at all (pythonw): no error
        sys.stderr = real
        logger.info("back")
        """
    )
    assert result.stderr == "back\n"
    assert result.stdout == ""


def test_logging_module_is_cheap_to_import() -> None:
    heavy = [
        "argparse",
        "dataclasses",
        "subprocess",
        "pathlib",
        "json",
        "tomllib",
        "maturin_import_hook._native",
    ]
    result = run_with_logging(f"print([m for m in {heavy!r} if m in sys.modules])")
    assert result.stdout == "[]\n"


CHECK_UNDER_OTHER_PYTHON = textwrap.dedent(
    """
    from maturin_import_hook import _logging, error, settings
    s = settings.MaturinSettings(release=True, features=["a"], config={"k": "v"}, group=["g"],
                                 generate_stubs=True, verbose=1, rustc_flags=["-g"])
    args = s.to_args("develop")
    assert settings.MaturinSettings.from_args(args) == s, args
    assert isinstance(error.BuildError("p", "r", "d"), ImportError)
    _logging.logger.info("info line")
    _logging.reset_logger()
    assert _logging.logger.propagate
    print(args)
    """
)


@pytest.mark.parametrize("version", ["3.8", "3.13"])
def test_modules_work_on_oldest_and_newest_python(version: str, tmp_path: Path) -> None:
    """The runtime (one abi3 wheel) installed into venvs of the oldest and newest Python."""
    venv = make_hook_venv(tmp_path / "venv", python=require_python(version))
    result = python(venv, CHECK_UNDER_OTHER_PYTHON)
    assert result.stdout.strip() == str(
        [
            "--release",
            "--features",
            "a",
            "--config",
            "k=v",
            "-v",
            "--group",
            "g",
            "--generate-stubs",
            "--",
            "-g",
        ]
    )
    assert result.stderr == "info line\n"
