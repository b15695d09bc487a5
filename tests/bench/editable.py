"""Editable installs by uv, on a copy of tests/fixtures/pyo3-mixed: `uv sync`, then `uv run`.

The two sides, each with its own project copy, uv project environment and CARGO_TARGET_DIR:

- ours: the build backend is our wheel (`[tool.uv.sources] maturin = { path = <our wheel> }`, also
  a dev dependency for the runtime), the project opts into the hook (`[tool.maturin] import-hook =
  true`) and keeps only `pyproject.toml` as uv cache key, as guide/src/editable.md recommends;
- upstream: the build backend is maturin 1.16.0 from PyPI, with the cache keys that
  `uv init --build-backend maturin` writes (`pyproject.toml`, `src/**/*.rs`, `Cargo.toml`,
  `Cargo.lock`), so that `uv run` rebuilds the editable wheel after a Rust edit: uv's own answer.

- editable-run-edit: change `const VALUE` in src/lib.rs, then `uv run python -c "import
  pyo3_mixed; print(pyo3_mixed.get_value())"`, which must print the new value (wall time of the
  whole command: what the developer waits for).
- editable-run-fresh: the same command with nothing changed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from common import (
    HOOK_WORK_DIR,
    OURS,
    WHEELHOUSE,
    BenchError,
    Context,
    Tool,
    alternate,
    ensure_wheelhouse,
    find_wheel,
    log,
)
from develop import CHECK_VALUE, FIXTURE, Workspace
from support import Result, copy_project, environment_without_venv, run

UV_INIT_CACHE_KEYS = (
    '[{ file = "pyproject.toml" }, { file = "src/**/*.rs" }, '
    '{ file = "Cargo.toml" }, { file = "Cargo.lock" }]'
)


class Side(Workspace):
    """One side's project copy, uv environment (`venv`) and cargo target directory."""

    def uv_env(self) -> dict[str, str]:
        return environment_without_venv(
            UV_PROJECT_ENVIRONMENT=str(self.venv), CARGO_TARGET_DIR=str(self.cargo_target)
        )

    def uv(self, *args: str) -> Result:
        return run([uv_binary(), *args], cwd=self.project, env=self.uv_env())

    def run_check(self, expected: int, after: str) -> Result:
        result = self.uv("run", "python", "-c", CHECK_VALUE)
        if result.stdout.strip() != str(expected):
            raise BenchError(
                f"{self.tool.name}: after {after}, `uv run` should print {expected}\n{result.describe()}"
            )
        return result


def uv_binary() -> str:
    found = shutil.which("uv")
    if found is None:
        raise BenchError("uv is not on PATH (scripts/bench installs it into target/bench-venv)")
    return found


def configure(side: Side, backend_wheel: Path) -> None:
    """Appends each side's uv configuration to the copy's pyproject.toml (which already has a
    `[tool.maturin]` table: the settings go at its end, the file's last table)."""
    pyproject = side.project / "pyproject.toml"
    text = pyproject.read_text()
    if not text.rstrip().splitlines()[-1].startswith("module-name"):
        raise BenchError(f"{pyproject}: expected [tool.maturin] to be the last table")
    if side.tool.name == OURS:
        text += (
            "import-hook = true\n"
            '\n[dependency-groups]\ndev = ["maturin"]\n'
            '\n[tool.uv]\ncache-keys = [{ file = "pyproject.toml" }]\n'
            f'\n[tool.uv.sources]\nmaturin = {{ path = "{backend_wheel}" }}\n'
        )
    else:
        text += (
            f"\n[tool.uv]\ncache-keys = {UV_INIT_CACHE_KEYS}\n"
            f'\n[tool.uv.sources]\nmaturin = {{ path = "{backend_wheel}" }}\n'
        )
    pyproject.write_text(text)


def setup(ctx: Context) -> dict[str, Side]:
    wheels = {OURS: find_wheel(ctx)}
    ensure_wheelhouse(ctx)
    upstream_wheels = sorted(WHEELHOUSE.glob("maturin-*.whl"))
    if len(upstream_wheels) != 1:
        raise BenchError(f"expected one maturin wheel in {WHEELHOUSE}, found {upstream_wheels}")
    sides: dict[str, Side] = {}
    for tool in ctx.tools:
        side = Side(tool, HOOK_WORK_DIR / f"editable-{tool.name}")
        shutil.rmtree(side.venv, ignore_errors=True)
        copy_project(FIXTURE, side.project)
        configure(side, wheels.get(tool.name, upstream_wheels[0]))
        log(f"[editable] {tool.name}: uv sync, warm-up runs (cargo target {side.cargo_target})")
        side.uv("sync")
        side.run_check(side.value(), "uv sync")
        side.run_check(side.value(), "uv sync and one uv run")
        sides[tool.name] = side
    ctx.results.context["editable"] = f"uv {run([uv_binary(), '--version']).stdout.strip()}"
    return sides


def run_edit(ctx: Context, sides: dict[str, Side]) -> None:
    metric = ctx.results.metric(
        "editable-run-edit", "change a literal in src/lib.rs, then `uv run python -c 'import pyo3_mixed'`"
    )

    def once(tool: Tool, index: int) -> None:
        side = sides[tool.name]
        value = side.edit()
        metric.add(tool.name, side.run_check(value, f"editable-run-edit #{index + 1}").seconds)

    log(f"[editable] editable-run-edit: {ctx.runs} runs per tool, alternating")
    alternate(ctx.tools, ctx.runs, once)


def run_fresh(ctx: Context, sides: dict[str, Side]) -> None:
    metric = ctx.results.metric(
        "editable-run-fresh", "`uv run python -c 'import pyo3_mixed'`, nothing changed"
    )

    def once(tool: Tool, index: int) -> None:
        side = sides[tool.name]
        metric.add(tool.name, side.run_check(side.value(), "no change").seconds)

    log(f"[editable] editable-run-fresh: {ctx.runs} runs per tool, alternating")
    alternate(ctx.tools, ctx.runs, once)


def run_scenarios(ctx: Context) -> None:
    sides = setup(ctx)
    run_edit(ctx, sides)
    run_fresh(ctx, sides)
