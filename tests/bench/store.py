"""The store of built extensions (ours only has one), on a git repository holding a copy of
tests/fixtures/pyo3-mixed with two branches that differ in `const VALUE`.

- store-branch-switch: `git switch` to the other branch, then `import pyo3_mixed` (in-process
  time), both states built before. Ours restores from its local store without cargo (the suite
  fails if cargo runs); upstream recompiles the project crate. store-branch-switch-store-off: ours
  with `MATURIN_IMPORT_HOOK_STORE=off` (a replay of cargo), for the ratio the store alone gives.
- store-clone-develop, store-clone-import: a fresh clone of the repository into a new venv on a
  machine without cargo (`cargo` and `rustc` are not on PATH, a new CARGO_HOME): ours runs
  `maturin develop --with-hook` with a shared store (a directory, `file://`) that a first
  checkout published to, then imports; upstream runs `maturin develop` with cargo and a fresh
  target directory (what a teammate's first build costs), then imports.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from common import (
    HOOK_WORK_DIR,
    OURS,
    BenchError,
    Context,
    Tool,
    alternate,
    ensure_wheelhouse,
    find_wheel,
    log,
    tool_venv,
)
from develop import FIXTURE, VALUE_RE
from hook import IMPORT_SCRIPT, Setup
from support import Venv, copy_project, run

BRANCH_VALUES = {"main": 21, "feature": 42}


def git(repository: Path, *args: str) -> None:
    run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args],
        cwd=repository,
    )


def set_value(project: Path, value: int) -> None:
    lib_rs = project / "src" / "lib.rs"
    text, count = VALUE_RE.subn(f"const VALUE: i64 = {value};", lib_rs.read_text())
    if count != 1:
        raise BenchError(f"expected one VALUE line in {lib_rs}")
    lib_rs.write_text(text)


class StoreSetup(Setup):
    """A tool's venv and git checkout of the project; ours with its store in `root/build`."""

    store_on: bool = True
    branch: str = "main"

    def env(self) -> dict[str, str]:
        env = super().env()
        if self.tool.name == OURS:
            env["MATURIN_BUILD_DIR"] = str(self.root / "build")
            shared = os.environ.get("BENCH_SHARED_STORE", "")
            env["MATURIN_IMPORT_HOOK_STORE"] = shared if self.store_on else "off"
        return env


def make_repository(ctx: Context, tool: Tool, wheel: Path, wheelhouse: Path) -> StoreSetup:
    root = HOOK_WORK_DIR / f"store-{tool.name}"
    if root.exists():
        shutil.rmtree(root)
    project = copy_project(FIXTURE, root / "project")
    installed = tool_venv(ctx, tool, root / "venv", wheel, wheelhouse)
    ws = StoreSetup(installed, root, site_packages=Venv(root / "venv").site_packages)
    git(project, "init", "-q", "-b", "main")
    set_value(project, BRANCH_VALUES["main"])
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "main")
    git(project, "checkout", "-q", "-b", "feature")
    set_value(project, BRANCH_VALUES["feature"])
    git(project, "commit", "-q", "-am", "feature")
    git(project, "checkout", "-q", "main")
    ws.install()
    for branch in ("feature", "main"):  # both states built once
        git(project, "checkout", "-q", branch)
        ws.expect(ws.import_project(), BRANCH_VALUES[branch], f"switching to {branch}")
    return ws


def branch_switch(ctx: Context, setups: dict[str, StoreSetup]) -> None:
    metric = ctx.results.metric(
        "store-branch-switch",
        "`git switch` back to a state built before, then `import pyo3_mixed` (in-process time)",
    )
    off = ctx.results.metric(
        "store-branch-switch-store-off",
        "the same, ours with MATURIN_IMPORT_HOOK_STORE=off (a cargo replay)",
    )

    def once(tool: Tool, index: int) -> None:
        ws = setups[tool.name]
        for store_on in (True, False) if tool.name == OURS else (True,):
            ws.store_on = store_on
            branch = "feature" if ws.branch == "main" else "main"
            git(ws.project, "checkout", "-q", branch)
            ws.branch = branch
            result = ws.import_project()
            ws.expect(result, BRANCH_VALUES[branch], f"switching to {branch}")
            restored = "restored" in result.completed.stderr and not result.compiled
            if tool.name == OURS and store_on and not restored:
                raise BenchError(
                    f"ours: a switch back to {branch} did not restore\n{result.completed.describe()}"
                )
            (metric if store_on else off).add(tool.name, result.seconds)
        ws.store_on = True

    log(f"[store] store-branch-switch: {ctx.runs} runs per tool, alternating")
    alternate(ctx.tools, ctx.runs, once)


def fresh_clone(ctx: Context, setups: dict[str, StoreSetup], wheel: Path, wheelhouse: Path) -> None:
    develop = ctx.results.metric(
        "store-clone-develop",
        "a fresh clone: `maturin develop` (ours: --with-hook, from a shared store, without cargo)",
    )
    first_import = ctx.results.metric(
        "store-clone-import", "then the first `import pyo3_mixed` (in-process time)"
    )
    no_toolchain = HOOK_WORK_DIR / "no-toolchain-bin"
    no_toolchain.mkdir(exist_ok=True)
    for program in ("git", "cc"):
        found = shutil.which(program)
        if found and not (no_toolchain / program).exists():
            (no_toolchain / program).symlink_to(found)

    def once(tool: Tool, index: int) -> None:
        origin = setups[tool.name]
        root = HOOK_WORK_DIR / f"store-clone-{tool.name}"
        if root.exists():
            shutil.rmtree(root)
        root.mkdir()
        run(["git", "clone", "-q", "--branch", "main", origin.project, root / "project"])
        installed = tool_venv(ctx, tool, root / "venv", wheel, wheelhouse)
        ws = StoreSetup(installed, root, site_packages=Venv(root / "venv").site_packages)
        env = ws.env()
        if tool.name == OURS:
            env["PATH"] = f"{Venv(ws.venv).bin_dir}{os.pathsep}{no_toolchain}"
            env["CARGO_HOME"] = str(root / "cargo-home")
        result = run(
            [
                tool.maturin,
                "develop",
                *(["--with-hook"] if tool.name == OURS else []),
                "-m",
                ws.project / "Cargo.toml",
            ],
            env=env,
        )
        develop.add(tool.name, result.seconds)
        imported = run([ws.python, "-c", IMPORT_SCRIPT], cwd=root, env=env)
        seconds, value = imported.stdout.split()
        if int(value) != BRANCH_VALUES["main"]:
            raise BenchError(f"{tool.name}: the clone imported {value}\n{imported.describe()}")
        first_import.add(tool.name, float(seconds))

    runs = min(ctx.runs, 3)
    log(f"[store] store-clone: {runs} runs per tool (upstream compiles pyo3 each time)")
    alternate(ctx.tools, runs, once)


def run_scenarios(ctx: Context) -> None:
    wheel = find_wheel(ctx)
    wheelhouse = ensure_wheelhouse(ctx)
    # ours publishes every build to a shared store (a directory), as CI would
    shared = HOOK_WORK_DIR / "store-shared"
    if shared.exists():
        shutil.rmtree(shared)
    shared.mkdir(parents=True)
    os.environ["BENCH_SHARED_STORE"] = shared.as_uri()
    try:
        setups: dict[str, StoreSetup] = {}
        for tool in ctx.tools:
            log(f"[store] {tool.name}: a git checkout with two branches, each built once")
            setups[tool.name] = make_repository(ctx, tool, wheel, wheelhouse)
        branch_switch(ctx, setups)
        fresh_clone(ctx, setups, wheel, wheelhouse)
    finally:
        del os.environ["BENCH_SHARED_STORE"]
