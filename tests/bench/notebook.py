"""Notebook scenarios: the IPython extension (`%load_ext maturin_import_hook`), ours only (upstream
has no notebook front end; rustimport's `%%rustimport` is not measured here).

The setup: a fresh venv under $TMPDIR/maturin-hook-bench/ours/notebook/ with our wheel and IPython,
a copy of tests/fixtures/pyo3-mixed installed with that venv's `maturin develop --with-hook`, in a
cargo target directory kept between runs of the suite. Every figure is timed inside one IPython
shell (`InteractiveShell`, the shell a Jupyter kernel runs), in a fresh process per run:

- notebook-cell-check: what the extension adds to every cell when nothing is stale, with
  `pyo3_mixed` imported: `events.trigger("pre_run_cell")` with the extension loaded minus the
  same with it unloaded (the mean of 2000 triggers each, per run).
- rust-cell-first, rust-cell-second: in an empty build cache (MATURIN_BUILD_DIR, a new directory
  per run), a `%%rust bench_a` cell, then a `%%rust bench_b` cell (another module) in the same
  shell: the first compiles pyo3, the second must not (all `.rs` files and cells share one cargo
  target directory).
- rust-cell-edit: then `%%rust bench_a` again with its constant changed (cargo replayed).
Each `%%rust` module must then return what its source says, or the suite fails.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from common import (
    HOOK_WORK_DIR,
    OURS,
    BenchError,
    Context,
    find_wheel,
    log,
    many_runs,
    venv_environment,
)
from develop import FIXTURE
from support import copy_project, make_venv, run

IPYTHON = "ipython==9.19.1"

RUST_CELL = """%%rust NAME
use pyo3::prelude::*;

#[pyfunction]
fn scaled(x: i64) -> i64 {
    FACTOR * x
}

#[pymodule]
fn NAME(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(scaled, m)?)?;
    Ok(())
}
"""

SHELL = """
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
def cell(source):
    result = ip.run_cell(source)
    if not result.success:
        sys.exit(f"cell failed: {source[:60]!r}: {result.error_before_exec or result.error_in_exec}")
"""

CHECK = (
    SHELL
    + """
cell("%load_ext maturin_import_hook")
cell("import pyo3_mixed")
def mean_trigger(n=2000):
    start = time.perf_counter()
    for _ in range(n):
        ip.events.trigger("pre_run_cell", None)
    return (time.perf_counter() - start) / n
mean_trigger(200)
loaded = mean_trigger()
cell("%unload_ext maturin_import_hook")
unloaded = mean_trigger()
print(json.dumps({"loaded": loaded, "unloaded": unloaded, "value": ip.user_ns["pyo3_mixed"].get_value()}))
"""
)

CELLS = (
    SHELL
    + """
cells = json.loads(sys.argv[1])
cell("%load_ext maturin_import_hook")
times, values = [], []
for name, source in cells:
    start = time.perf_counter()
    cell(source)
    times.append(time.perf_counter() - start)
    values.append(ip.user_ns[name].scaled(7))
print(json.dumps({"times": times, "values": values}))
"""
)


def rust_cell(name: str, factor: int) -> str:
    return RUST_CELL.replace("NAME", name).replace("FACTOR", str(factor))


def run_scenarios(ctx: Context) -> None:
    wheel = find_wheel(ctx)
    root = HOOK_WORK_DIR / OURS / "notebook"
    venv = make_venv(root / "venv", ctx.python)
    log(f"[{ctx.results.group}] ours: venv with {wheel.name} and {IPYTHON}")
    venv.pip("install", "--quiet", wheel, IPYTHON)
    project = copy_project(FIXTURE, root / "project")
    env = venv_environment(venv.root, CARGO_TARGET_DIR=str(root / "cargo-target"))
    run([venv.bin_dir / "maturin", "develop", "--with-hook", "-m", project / "Cargo.toml"], env=env)

    check = ctx.results.metric(
        "notebook-cell-check",
        "what %load_ext maturin_import_hook adds to each cell with nothing stale (pyo3_mixed imported)",
    )
    unloaded: list[float] = []
    for _ in range(many_runs(ctx)):
        completed = run([venv.python, "-c", CHECK], cwd=root, env=env)
        got = json.loads(completed.stdout.strip().splitlines()[-1])
        if got["value"] != 22:
            raise BenchError(f"notebook-cell-check: pyo3_mixed.get_value() gave {got['value']}, not 22")
        check.add(OURS, got["loaded"] - got["unloaded"])
        unloaded.append(got["unloaded"])
    check.details[OURS] = {"trigger_without_the_extension_seconds": unloaded}

    first = ctx.results.metric("rust-cell-first", "%%rust cell in an empty build cache (compiles pyo3)")
    second = ctx.results.metric("rust-cell-second", "%%rust cell of another module after the first")
    edit = ctx.results.metric("rust-cell-edit", "%%rust cell run again with its source edited")
    cells = [
        ("bench_a", rust_cell("bench_a", 3)),
        ("bench_b", rust_cell("bench_b", 5)),
        ("bench_a", rust_cell("bench_a", 4)),
    ]
    for index in range(ctx.rs_runs):
        log(f"[{ctx.results.group}] %%rust cold run {index + 1}/{ctx.rs_runs}")
        cache = Path(tempfile.mkdtemp(prefix="rust-cells-", dir=root))
        try:
            cell_env = dict(env, MATURIN_BUILD_DIR=str(cache / "build"), IPYTHONDIR=str(cache / "ipython"))
            cell_env.pop("CARGO_TARGET_DIR", None)
            completed = run([venv.python, "-c", CELLS, json.dumps(cells)], cwd=root, env=cell_env)
            got = json.loads(completed.stdout.strip().splitlines()[-1])
            if got["values"] != [21, 35, 28]:
                raise BenchError(f"%%rust cells returned {got['values']}, not [21, 35, 28]")
            for metric, seconds in zip((first, second, edit), got["times"]):
                metric.add(OURS, seconds)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
