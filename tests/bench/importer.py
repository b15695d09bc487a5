"""Importer scenarios: `maturin_import_hook.install()` called by a program, ours against upstream's
maturin-import-hook 0.3.0 (the project importer and the `.rs` file importer).

The two setups, each in its own fresh venv under $TMPDIR/maturin-hook-bench/<tool>/importer/
(outside the repository: upstream's project importer looks for a maturin project above every
sys.path entry, and the repository root is one):

- ours: a venv with our wheel (`target/test-wheel/maturin-*.whl`: our `maturin` binary and the
  `maturin_import_hook` runtime);
- upstream: a venv with `maturin==1.16.0` and `maturin-import-hook==0.3.0` from PyPI.

In each, a copy of tests/fixtures/pyo3-mixed is installed with that venv's own `maturin develop`
(no `--with-hook`: no hook is active at start-up, only what `install()` installs), with one
CARGO_TARGET_DIR per tool, kept between runs of the suite. Every figure is timed inside the
process (time.perf_counter around the statements measured), and every process prints what it
got, which is checked: a run that did not do its job fails the suite.

- install-cost: `import maturin_import_hook; maturin_import_hook.install()` minus nothing (the same
  program timing `pass`), paired runs in fresh processes.
- unrelated-imports: 50 standard library modules (common.STDLIB_MODULES, none loaded before)
  imported after install(), minus the same after install() and uninstall().
- project-import: an up-to-date `import pyo3_mixed` after install(), minus the same after
  install() and uninstall(). The extension's mtime must not change: no rebuild.
- rs-first-build, rs-second-build: with install(), `import bench_a` of a standalone bench_a.rs
  in an empty build cache (MATURIN_BUILD_DIR, a new directory per run), then `import bench_b`
  (another file) in a second process with the same cache. Ours gives every `.rs` file one cargo
  target directory, so pyo3 compiles once; upstream 0.3.0 compiles it per file.
  rs-pyo3-builds counts the pyo3 libraries in the cache afterwards. No CARGO_TARGET_DIR here:
  it would give upstream's generated projects one target directory too.
- rs-import: an up-to-date `import bench_a` after install() (built in a cache kept between runs
  of the suite), minus nothing; its details also have the time of loading the same extension
  file directly with importlib (no finder), the part of the figure that is the dlopen itself.

The baseline of unrelated-imports and project-import is install() then uninstall(), not
MATURIN_IMPORT_HOOK_ENABLED=0: the variable makes our install() return before it imports its
importers, and what those imports load (modules, the path finders' directory caches) then made
the measured imports cheaper with the hook than without it; after uninstall() both variants
start from the same loaded state and differ only by the finders on sys.meta_path (and what they
load when they first run).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from common import (
    HOOK_WORK_DIR,
    OURS,
    STDLIB_MODULES,
    BenchError,
    Context,
    Tool,
    alternate,
    ensure_wheelhouse,
    find_wheel,
    log,
    many_runs,
    median,
    paired,
    tool_venv,
    venv_environment,
)
from develop import FIXTURE, Workspace
from support import Result, copy_project, run

MODULE = "pyo3_mixed"
INSTALL = "import maturin_import_hook\nmaturin_import_hook.install()"
UNINSTALLED = f"{INSTALL}\nmaturin_import_hook.uninstall()"  # the baseline: same modules, no finder
RS_FACTORS = {"bench_a": 3, "bench_b": 5}  # the two `.rs` modules, and what their function multiplies by
RS_ARGUMENT = 7
RS_SOURCE = """\
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
PYO3_LOCK_RE = re.compile(r'^name = "pyo3"\nversion = "([^"]+)"', flags=re.MULTILINE)


def probe_script(body: str, *, before: str = "", result: str = "None") -> str:
    """A `python -c` program: `before` untimed, `body` timed (time.perf_counter, in the process),
    then one JSON line: the time, how many finders of maturin_import_hook are on sys.meta_path,
    and `result`, an expression the caller checks. json is imported after the timing, so that
    the program loads nothing of its own before `body`."""
    return "\n".join(
        [
            "import sys, time",
            before,
            "start = time.perf_counter()",
            body,
            "seconds = time.perf_counter() - start",
            "finders = sum(",
            '    getattr(f, "__module__", "").startswith("maturin_import_hook") for f in sys.meta_path',
            ")",
            "import json",
            f'print(json.dumps({{"seconds": seconds, "finders": finders, "result": {result}}}))',
        ]
    )


@dataclass
class Probe:
    """What one probe_script process printed."""

    completed: Result
    seconds: float
    finders: int
    result: object

    def fail(self, tool: str, what: str, problem: str) -> BenchError:
        return BenchError(f"{tool}: {what}: {problem}\n{self.completed.describe()}")

    def pair(self, tool: str, what: str) -> tuple[object, object]:
        """The result, a list of two values."""
        if not isinstance(self.result, list) or len(self.result) != 2:
            raise self.fail(tool, what, f"expected a result of two values, got {self.result!r}")
        return self.result[0], self.result[1]

    def ints(self, tool: str, what: str) -> tuple[int, int]:
        """The result, a list of two integers."""
        first, second = self.pair(tool, what)
        if not isinstance(first, int) or not isinstance(second, int):
            raise self.fail(tool, what, f"expected two integers, got {self.result!r}")
        return first, second


@dataclass
class Side(Workspace):
    """One tool: a venv with it installed (no hook active at start-up), a copy of pyo3-mixed
    developed into it, and the two `.rs` files."""

    @property
    def rs_dir(self) -> Path:
        return self.root / "rs"

    @property
    def rs_cache(self) -> Path:
        """The build cache of rs-import: kept between runs of the suite, so its warm-up is cheap."""
        return self.root / "rs-cache"

    @property
    def cold_cache(self) -> Path:
        """The build cache of the cold builds: made empty before every run."""
        return self.root / "cold-cache"

    def rs_env(self, build_dir: Path) -> dict[str, str]:
        """The venv activated (upstream runs the `maturin` on PATH) and MATURIN_BUILD_DIR; no
        CARGO_TARGET_DIR (see the module's docstring). The other scenarios run with develop's
        environment, `env()`: both importers rebuild a project when the build environment differs."""
        return venv_environment(self.venv, MATURIN_BUILD_DIR=str(build_dir))

    def probe(self, script: str, env: dict[str, str], what: str) -> Probe:
        completed = run([self.python, "-c", script], cwd=self.root, env=env, check=False)
        if completed.returncode != 0:
            raise BenchError(f"{self.tool.name}: {what} failed\n{completed.describe()}")
        try:
            printed = json.loads(completed.stdout.strip().splitlines()[-1])
            return Probe(completed, float(printed["seconds"]), int(printed["finders"]), printed["result"])
        except (IndexError, ValueError, KeyError, TypeError):
            raise BenchError(f"{self.tool.name}: {what}: unexpected output\n{completed.describe()}") from None

    def expect_finders(self, probe: Probe, expected: int, what: str) -> None:
        if probe.finders != expected:
            raise probe.fail(
                self.tool.name,
                what,
                f"{probe.finders} finders of maturin_import_hook on sys.meta_path, expected {expected}",
            )

    def write_rs_files(self) -> None:
        """bench_a.rs and bench_b.rs, rewritten only when their content differs: an unchanged
        mtime keeps rs-import's cache (kept between runs) up to date for upstream too."""
        self.rs_dir.mkdir(parents=True, exist_ok=True)
        for module, factor in RS_FACTORS.items():
            path = self.rs_dir / f"{module}.rs"
            text = RS_SOURCE.replace("NAME", module).replace("FACTOR", str(factor))
            if not path.is_file() or path.read_text() != text:
                path.write_text(text)

    def import_rs(self, module: str, build_dir: Path, what: str) -> tuple[Probe, Path]:
        """With install(), `import <module>` of its `.rs` file, timed; checks the function's value
        and that the extension loaded is in `build_dir` (the tool honoured MATURIN_BUILD_DIR).
        Returns the probe and the extension's path."""
        script = probe_script(
            f"import {module}",
            before=f"sys.path.insert(0, {str(self.rs_dir)!r})\n{INSTALL}",
            result=f"[{module}.scaled({RS_ARGUMENT}), {module}.__file__]",
        )
        probe = self.probe(script, self.rs_env(build_dir), what)
        self.expect_finders(probe, 2, what)
        value, extension = probe.pair(self.tool.name, what)
        expected = RS_FACTORS[module] * RS_ARGUMENT
        if value != expected:
            raise probe.fail(
                self.tool.name, what, f"{module}.scaled({RS_ARGUMENT}) == {value}, not {expected}"
            )
        path = Path(str(extension)).resolve()
        if not path.is_relative_to(build_dir.resolve()):
            raise probe.fail(self.tool.name, what, f"{module} was loaded from {path}, not from {build_dir}")
        return probe, path


def pyo3_builds(build_dir: Path) -> int:
    """The pyo3 libraries compiled in a build cache (`libpyo3-<hash>.rlib`; pyo3's other crates
    are `libpyo3_<name>-...`): one per target directory that compiled pyo3."""
    return sum(1 for _ in build_dir.rglob("libpyo3-*.rlib"))


def locked_pyo3(build_dir: Path) -> str:
    """The pyo3 version(s) the `Cargo.lock` files of a cache locked (each tool picks its own)."""
    versions = {v for lock in build_dir.rglob("Cargo.lock") for v in PYO3_LOCK_RE.findall(lock.read_text())}
    return ", ".join(sorted(versions)) or "?"


def mtime_ns(path: Path) -> int:
    return path.stat().st_mtime_ns


# --- setup ---------------------------------------------------------------------------------


def setup(ctx: Context) -> dict[str, Side]:
    wheel = find_wheel(ctx)
    wheelhouse = ensure_wheelhouse(ctx)
    sides: dict[str, Side] = {}
    for tool in ctx.tools:
        root = HOOK_WORK_DIR / tool.name / "importer"
        copy_project(FIXTURE, root / "project")
        side = Side(tool_venv(ctx, tool, root / "venv", wheel, wheelhouse), root)
        side.write_rs_files()
        log(f"[importer] {tool.name}: `maturin develop` of the project ({side.tool.version})")
        side.develop()
        side.check_installed(side.value(), "the develop")
        check_state(side)
        sides[tool.name] = side
        ctx.results.context[f"importer {tool.name}"] = f"{side.tool.version} in {side.venv}" + (
            f" (from {wheel})" if tool.name == OURS else ""
        )
    return sides


def check_state(side: Side) -> None:
    """install() puts two finders on sys.meta_path, none after uninstall() or without install();
    the runtime imported is the venv's; no module of STDLIB_MODULES is loaded by start-up or
    install() (unrelated-imports would then compare different work)."""
    listed = f"sorted(n for n in {list(STDLIB_MODULES)!r} if n in sys.modules)"
    result = f"[getattr(sys.modules.get('maturin_import_hook'), '__file__', None), {listed}]"
    for body, finders in ((INSTALL, 2), (UNINSTALLED, 0), ("pass", 0)):
        what = f"the state after `{body.replace(chr(10), '; ')}`"
        probe = side.probe(probe_script(body, result=result), side.env(), what)
        side.expect_finders(probe, finders, what)
        runtime, loaded = probe.pair(side.tool.name, what)
        if body != "pass" and not Path(str(runtime)).resolve().is_relative_to(side.venv.resolve()):
            raise probe.fail(side.tool.name, what, f"maturin_import_hook was imported from {runtime}")
        if loaded:
            raise probe.fail(side.tool.name, what, f"already loaded, drop them from STDLIB_MODULES: {loaded}")


# --- scenarios -----------------------------------------------------------------------------


def install_cost(ctx: Context, sides: dict[str, Side]) -> None:
    runs = many_runs(ctx)
    metric = ctx.results.metric(
        "install-cost",
        "`import maturin_import_hook; maturin_import_hook.install()` in a fresh interpreter "
        "(in-process time) minus nothing",
    )
    walls: dict[str, dict[str, list[float]]] = {t.name: {"install": [], "nothing": []} for t in ctx.tools}

    def measure(variant: str, body: str, finders: int) -> Callable[[Side], float]:
        def once(side: Side) -> float:
            what = f"install-cost ({variant})"
            probe = side.probe(probe_script(body), side.env(), what)
            side.expect_finders(probe, finders, what)
            walls[side.tool.name][variant].append(probe.completed.seconds)
            return probe.seconds

        return once

    log(f"[importer] install-cost: {runs} runs per tool and variant, alternating")
    variants = {"install": measure("install", INSTALL, 2), "nothing": measure("nothing", "pass", 0)}
    paired(ctx, sides, runs, variants, "nothing", {"install": metric})
    for tool in ctx.tools:
        samples = walls[tool.name]
        details = metric.details[tool.name]
        assert isinstance(details, dict)
        details["process_wall_install_minus_nothing_median_s"] = median(
            [a - b for a, b in zip(samples["install"], samples["nothing"])]
        )


def unrelated_imports(ctx: Context, sides: dict[str, Side]) -> None:
    runs = max(10, 2 * ctx.runs)
    metric = ctx.results.metric(
        "unrelated-imports",
        f"import {len(STDLIB_MODULES)} unrelated standard library modules after install() "
        "(in-process), minus the same after install(); uninstall()",
    )
    names = list(STDLIB_MODULES)
    loaded: dict[str, dict[str, int]] = {tool.name: {} for tool in ctx.tools}

    def measure(variant: str, before: str, finders: int) -> Callable[[Side], float]:
        script = probe_script(
            "for name in names:\n    __import__(name)",
            before=f"{before}\nnames = {names!r}\nloaded = set(sys.modules)\n"
            "new = sum(name not in sys.modules for name in names)",
            result="[new, len(set(sys.modules) - loaded)]",
        )

        def once(side: Side) -> float:
            what = f"unrelated-imports ({variant})"
            probe = side.probe(script, side.env(), what)
            side.expect_finders(probe, finders, what)
            new, count = probe.ints(side.tool.name, what)
            if new != len(names):
                raise probe.fail(side.tool.name, what, f"only {new} of the modules were not loaded yet")
            loaded[side.tool.name][f"modules_loaded_{variant}"] = count
            return probe.seconds

        return once

    log(f"[importer] unrelated-imports: {runs} runs per tool and variant, alternating")
    variants = {
        "hooked": measure("hooked", INSTALL, 2),
        "uninstalled": measure("uninstalled", UNINSTALLED, 0),
    }
    paired(ctx, sides, runs, variants, "uninstalled", {"hooked": metric})
    for tool in ctx.tools:
        details = metric.details[tool.name]
        assert isinstance(details, dict)
        details.update(loaded[tool.name])


def project_import(ctx: Context, sides: dict[str, Side]) -> None:
    runs = many_runs(ctx)
    metric = ctx.results.metric(
        "project-import",
        "up-to-date `import pyo3_mixed` (editable, plain `maturin develop`) after install() "
        "(in-process), minus the same after install(); uninstall()",
    )
    result = f"[{MODULE}.get_value(), __import__('os').stat({MODULE}._native.__file__).st_mtime_ns]"
    scripts = {
        hook: probe_script(f"import {MODULE}", before=INSTALL if hook else UNINSTALLED, result=result)
        for hook in (True, False)
    }
    built: dict[str, int] = {}

    def check(side: Side, hook: bool, what: str) -> Probe:
        """One import, checked: the value of the source, and the extension file that of the
        previous import (a rebuild or a reinstall writes it again)."""
        probe = side.probe(scripts[hook], side.env(), what)
        side.expect_finders(probe, 2 if hook else 0, what)
        value, stamp = probe.ints(side.tool.name, what)
        if value != side.value():
            raise probe.fail(side.tool.name, what, f"get_value() == {value}, expected {side.value()}")
        if side.tool.name in built and stamp != built[side.tool.name]:
            raise probe.fail(side.tool.name, what, "the extension was rebuilt or reinstalled")
        built[side.tool.name] = stamp
        return probe

    for tool in ctx.tools:
        side = sides[tool.name]
        developed = next((side.project / "python" / MODULE).glob("_native*.so"), None)
        before = mtime_ns(developed) if developed is not None else None
        check(side, True, "the first import after develop")  # upstream builds here: no status yet
        check(side, True, "the second import after develop")
        ctx.results.context[f"importer {tool.name}"] += (
            f"; first import after develop rebuilt: {'no' if before == built[tool.name] else 'yes'}"
        )

    def measure(hook: bool) -> Callable[[Side], float]:
        variant = "hooked" if hook else "uninstalled"
        return lambda side: check(side, hook, f"project-import ({variant})").seconds

    log(f"[importer] project-import: {runs} runs per tool and variant, alternating")
    variants = {"hooked": measure(True), "uninstalled": measure(False)}
    paired(ctx, sides, runs, variants, "uninstalled", {"hooked": metric})


def cold_builds(ctx: Context, sides: dict[str, Side]) -> None:
    first = ctx.results.metric(
        "rs-first-build",
        "with install(), `import bench_a` of a standalone .rs file in an empty build cache "
        "(MATURIN_BUILD_DIR), in-process time",
    )
    second = ctx.results.metric(
        "rs-second-build", "then `import bench_b`, a second .rs file, in the same cache (in-process time)"
    )
    builds = ctx.results.metric(
        "rs-pyo3-builds", "pyo3 libraries compiled in the build cache by the two imports", unit="builds"
    )
    steps = list(zip(RS_FACTORS, (first, second)))  # (module, metric)
    walls: dict[str, dict[str, list[float]]] = {t.name: {m.name: [] for _, m in steps} for t in ctx.tools}
    pyo3: dict[str, str] = {}

    def once(tool: Tool, index: int) -> None:
        side = sides[tool.name]
        cache = side.cold_cache
        if cache.exists():
            shutil.rmtree(cache)
        cache.mkdir(parents=True)
        for module, metric in steps:
            what = f"{metric.name} #{index + 1}"
            probe, _ = side.import_rs(module, cache, what)
            metric.add(tool.name, probe.seconds)
            walls[tool.name][metric.name].append(probe.completed.seconds)
            if metric is first and pyo3_builds(cache) < 1:
                raise probe.fail(tool.name, what, f"no libpyo3-*.rlib in {cache}: not a cold build")
        count = pyo3_builds(cache)
        builds.add(tool.name, count)
        pyo3[tool.name] = locked_pyo3(cache)
        if tool.name == OURS and count != 1:
            ctx.results.warn(f"ours: {builds.name} #{index + 1}: pyo3 compiled {count} times for 2 files")
        shutil.rmtree(cache)

    log(f"[importer] rs-first-build, rs-second-build: {ctx.rs_runs} cold runs per tool, alternating")
    alternate(ctx.tools, ctx.rs_runs, once)
    for tool in ctx.tools:
        for _, metric in steps:
            metric.details[tool.name] = {
                "pyo3": pyo3[tool.name],
                "process_wall_median_s": median(walls[tool.name][metric.name]),
            }
        builds.details[tool.name] = {"pyo3": pyo3[tool.name]}
        ctx.results.context[f"importer {tool.name}"] += f"; .rs files built with pyo3 {pyo3[tool.name]}"


def rs_import(ctx: Context, sides: dict[str, Side]) -> None:
    runs = many_runs(ctx)
    metric = ctx.results.metric(
        "rs-import", "up-to-date `import bench_a` (.rs file) after install() (in-process), minus nothing"
    )
    module = next(iter(RS_FACTORS))
    expected = RS_FACTORS[module] * RS_ARGUMENT
    built: dict[str, tuple[Path, int]] = {}
    for tool in ctx.tools:
        side = sides[tool.name]
        log(f"[importer] {tool.name}: rs-import warm-up (builds {module}.rs the first time, {side.rs_cache})")
        _, extension = side.import_rs(module, side.rs_cache, "the rs-import warm-up")
        built[tool.name] = (extension, mtime_ns(extension))
        _, again = side.import_rs(module, side.rs_cache, "the second rs-import warm-up")
        if (again, mtime_ns(again)) != built[tool.name]:
            raise BenchError(f"{tool.name}: the second up-to-date import of {module}.rs rebuilt it")

    def hooked(side: Side) -> float:
        probe, extension = side.import_rs(module, side.rs_cache, "rs-import")
        if (extension, mtime_ns(extension)) != built[side.tool.name]:
            raise probe.fail(side.tool.name, "rs-import", f"{module} was rebuilt")
        return probe.seconds

    def nothing(side: Side) -> float:
        script = probe_script("pass", before=f"sys.path.insert(0, {str(side.rs_dir)!r})\n{INSTALL}")
        probe = side.probe(script, side.rs_env(side.rs_cache), "rs-import (nothing)")
        side.expect_finders(probe, 2, "rs-import (nothing)")
        return probe.seconds

    def direct(side: Side) -> float:
        """The extension file loaded with importlib alone, no install(): the dlopen and the
        module's init, which any import of it costs."""
        extension = built[side.tool.name][0]
        what = "rs-import (direct load)"
        script = probe_script(
            f"spec = importlib.util.spec_from_file_location({module!r}, {str(extension)!r})\n"
            "loaded = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(loaded)",
            before="import importlib.util",
            result=f"loaded.scaled({RS_ARGUMENT})",
        )
        probe = side.probe(script, side.rs_env(side.rs_cache), what)
        if probe.result != expected:
            raise probe.fail(side.tool.name, what, f"scaled({RS_ARGUMENT}) == {probe.result}, not {expected}")
        return probe.seconds

    log(f"[importer] rs-import: {runs} runs per tool and variant, alternating")
    variants = {"import": hooked, "nothing": nothing, "direct_load": direct}
    paired(ctx, sides, runs, variants, "nothing", {"import": metric})


def run_scenarios(ctx: Context) -> None:
    sides = setup(ctx)
    install_cost(ctx, sides)
    unrelated_imports(ctx, sides)
    project_import(ctx, sides)
    cold_builds(ctx, sides)
    rs_import(ctx, sides)
