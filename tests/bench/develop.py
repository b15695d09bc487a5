"""`maturin develop` scenarios, on a copy of tests/fixtures/pyo3-mixed.

Each tool gets its own copy of the project, its own fresh target venv and its own
CARGO_TARGET_DIR (kept between runs of the suite under target/bench-work/<tool>/cargo-target,
so that pyo3 compiles once, not on every run), so neither tool invalidates the other's cargo
cache. After one warm-up develop per tool:

- subprocesses, subprocesses-edit: one no-op develop, and one develop after a one-line change,
  per tool under strace; the processes each started, by program.
  The cargo build command found there (argv and environment exactly as maturin ran it) is what
  edit-cargo replays.
- noop-develop: `maturin develop` with nothing changed.
- edit-develop: change `const VALUE` in src/lib.rs, `maturin develop`, then check that the venv
  imports the new value (untimed). A tool that did not rebuild fails the suite.
- edit-cargo: the same one-line change, then only the cargo command maturin runs. It must
  compile exactly the project's crate; a develop afterwards must find cargo's output fresh
  (same fingerprint) and install the last value.
- overhead-beyond-cargo: median edit-develop minus median edit-cargo, per tool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from common import (
    BenchError,
    CargoCommand,
    Context,
    Results,
    Tool,
    alternate,
    cargo_replays,
    compiled_crates,
    log,
    short_command,
    trace,
    venv_environment,
)
from support import FIXTURES_DIR, Result, Venv, copy_project, make_venv, run

FIXTURE = FIXTURES_DIR / "pyo3-mixed"
CRATE = "pyo3-mixed"
VALUE_RE = re.compile(r"^const VALUE: i64 = (-?\d+);$", flags=re.MULTILINE)
EDIT_VALUES = (23, 24)  # alternated, so that every edit is a real change
CHECK_VALUE = "import pyo3_mixed; print(pyo3_mixed.get_value())"


@dataclass
class Workspace:
    """One tool's copy of the project, target venv and cargo target directory."""

    tool: Tool
    root: Path
    cargo: CargoCommand | None = None  # the build command a traced rebuild ran, to replay

    @property
    def cargo_command(self) -> CargoCommand:
        if self.cargo is None:
            raise BenchError(f"{self.tool.name}: no cargo command was captured to replay")
        return self.cargo

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def venv(self) -> Path:
        return self.root / "venv"

    @property
    def python(self) -> Path:
        return Venv(self.venv).python

    @property
    def cargo_target(self) -> Path:
        return self.root / "cargo-target"

    @property
    def lib_rs(self) -> Path:
        return self.project / "src" / "lib.rs"

    def env(self) -> dict[str, str]:
        return venv_environment(self.venv, CARGO_TARGET_DIR=str(self.cargo_target))

    def develop(self) -> Result:
        return run([self.tool.maturin, "develop"], cwd=self.project, env=self.env())

    def value(self) -> int:
        match = VALUE_RE.search(self.lib_rs.read_text())
        if not match:
            raise BenchError(f"no `const VALUE: i64 = ...;` line in {self.lib_rs}")
        return int(match.group(1))

    def edit(self) -> int:
        """Changes the VALUE literal to the other edit value; returns the new value."""
        new = EDIT_VALUES[1] if self.value() == EDIT_VALUES[0] else EDIT_VALUES[0]
        text, count = VALUE_RE.subn(f"const VALUE: i64 = {new};", self.lib_rs.read_text())
        if count != 1:
            raise BenchError(f"expected one VALUE line in {self.lib_rs}, found {count}")
        self.lib_rs.write_text(text)
        return new

    def check_installed(self, expected: int, after: str) -> None:
        result = run([self.python, "-c", CHECK_VALUE], cwd=self.root, env=self.env(), check=False)
        got = result.stdout.strip()
        if result.returncode != 0 or got != str(expected):
            raise BenchError(
                f"{self.tool.name}: after {after}, the venv should import get_value() == {expected}, "
                f"got {got or 'an error'}: the tool did not rebuild or reinstall the project\n"
                f"{result.describe()}"
            )


def setup(ctx: Context) -> dict[str, Workspace]:
    workspaces: dict[str, Workspace] = {}
    for tool in ctx.tools:
        ws = Workspace(tool, ctx.work_dir / tool.name)
        log(f"[develop] {tool.name}: fresh project copy and venv, cargo target {ws.cargo_target}")
        copy_project(FIXTURE, ws.project)
        make_venv(ws.venv, ctx.python)
        log(f"[develop] {tool.name}: warm-up develop")
        ws.develop()
        ws.check_installed(ws.value(), "the warm-up develop")
        workspaces[tool.name] = ws
    return workspaces


def subprocesses(ctx: Context, workspaces: dict[str, Workspace]) -> None:
    """Traces one no-op develop and one develop after a one-line change per tool; the cargo
    command of the latter is what edit-cargo replays."""
    for scenario, edit in (("subprocesses", False), ("subprocesses-edit", True)):
        what = "a one-line change, then `maturin develop`" if edit else "one no-op `maturin develop`"
        metric = ctx.results.metric(scenario, f"processes started by {what} (strace -f)", unit="processes")
        for tool in ctx.tools:
            ws = workspaces[tool.name]
            value = ws.edit() if edit else None
            log(f"[develop] {tool.name}: tracing {what}")
            traced = trace(
                [tool.maturin, "develop"],
                cwd=ws.project,
                env=ws.env(),
                log_path=ws.root / f"strace-{scenario}.txt",
            )
            if value is not None:
                ws.check_installed(value, "the traced develop")
            metric.add(tool.name, len(traced.execs))
            metric.details[tool.name] = {
                "counts": traced.counts(),
                "commands": [short_command(e.argv) for e in traced.execs],
            }
            if edit:
                ws.cargo = CargoCommand.from_trace(traced, tool.name, "develop")


def noop_develop(ctx: Context, workspaces: dict[str, Workspace]) -> None:
    metric = ctx.results.metric("noop-develop", "`maturin develop` with nothing changed (wall time)")

    def once(tool: Tool, index: int) -> None:
        result = workspaces[tool.name].develop()
        metric.add(tool.name, result.seconds)
        compiled = compiled_crates(result.stderr)
        if compiled:
            ctx.results.warn(f"{tool.name}: no-op develop #{index + 1} compiled {', '.join(compiled)}")

    log(f"[develop] noop-develop: {ctx.runs} runs per tool, alternating")
    alternate(ctx.tools, ctx.runs, once)


def edit_develop(ctx: Context, workspaces: dict[str, Workspace]) -> None:
    metric = ctx.results.metric(
        "edit-develop", "change a literal in src/lib.rs, then `maturin develop` (wall time)"
    )

    def once(tool: Tool, index: int) -> None:
        ws = workspaces[tool.name]
        value = ws.edit()
        result = ws.develop()
        metric.add(tool.name, result.seconds)
        ws.check_installed(value, f"edit-develop #{index + 1}")
        extra = [crate for crate in compiled_crates(result.stderr) if crate != CRATE]
        if extra:
            ctx.results.warn(f"{tool.name}: edit-develop #{index + 1} also compiled {', '.join(extra)}")

    log(f"[develop] edit-develop: {ctx.runs} runs per tool, alternating")
    alternate(ctx.tools, ctx.runs, once)


def edit_cargo(ctx: Context, workspaces: dict[str, Workspace]) -> None:
    metric = ctx.results.metric(
        "edit-cargo", "the same change, then only the cargo command maturin runs (wall time)"
    )
    commands = {name: (ws.cargo_command, ws.project) for name, ws in workspaces.items()}
    cargo_replays(ctx, metric, commands, lambda name: workspaces[name].edit(), CRATE, "maturin's")

    # The other direction: maturin must take what the replayed command built as fresh.
    for tool in ctx.tools:
        ws = workspaces[tool.name]
        result = ws.develop()
        compiled = compiled_crates(result.stderr)
        if compiled:
            raise BenchError(
                f"{tool.name}: a develop after edit-cargo compiled {', '.join(compiled)}: the replayed "
                f"cargo command does not match maturin's cargo fingerprint\n{result.describe()}"
            )
        ws.check_installed(ws.value(), "the develop after edit-cargo")


def overhead(results: Results, tools: list[Tool]) -> None:
    develop, cargo = results.metrics["edit-develop"], results.metrics["edit-cargo"]
    metric = results.metric(
        "overhead-beyond-cargo", "median edit-develop minus median edit-cargo", derived=True
    )
    for tool in tools:
        develop_s, cargo_s = develop.value(tool.name), cargo.value(tool.name)
        if develop_s is not None and cargo_s is not None:
            metric.add(tool.name, develop_s - cargo_s)


def run_scenarios(ctx: Context) -> None:
    workspaces = setup(ctx)
    subprocesses(ctx, workspaces)
    noop_develop(ctx, workspaces)
    edit_develop(ctx, workspaces)
    edit_cargo(ctx, workspaces)
    overhead(ctx.results, ctx.tools)
