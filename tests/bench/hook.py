"""Import hook scenarios, on a copy of tests/fixtures/pyo3-mixed.

The two setups, each with its own venv, project copy and CARGO_TARGET_DIR:

- ours: a venv with our wheel (`target/test-wheel/maturin-*.whl`: our `maturin` binary and the
  `maturin_import_hook` runtime), the project installed with that venv's
  `maturin develop --with-hook -m <copy>/Cargo.toml`;
- upstream: a venv with `maturin==1.16.0` and `maturin-import-hook==0.3.0` from PyPI, the project
  installed with `maturin develop -m <copy>/Cargo.toml` and the hook activated the way upstream
  documents it, `python -m maturin_import_hook site install` (a sitecustomize.py).

develop, every import and the raw cargo replays run with one environment per setup (the venv
activated, its CARGO_TARGET_DIR): the hooks rebuild when the build environment differs from
develop's. The setups live outside the repository (in $TMPDIR/maturin-hook-bench/), because
upstream's hook looks for a maturin project above every sys.path entry and the repository root
is one. The venvs and copies are made afresh on each run of the suite at the same paths, and the
cargo target directories are kept, so that pyo3 compiles only the first time.

"Hook off" is `MATURIN_IMPORT_HOOK_ENABLED=0`; "no hook" is the same venv with the file that
activates the hook at start-up (ours: `maturin_hook-pyo3_mixed.pth`, upstream: sitecustomize.py)
moved aside. The first is the baseline of in-process import times (the same modules are loaded
at start-up), the second that of start-up: upstream's sitecustomize imports the whole
maturin_import_hook package before it looks at the variable.

- hook-subprocesses-fresh, -edit, -touch: the processes an up-to-date import, an import after a
  one-line change and an import after a touch of src/lib.rs start (strace -f). The cargo build
  command of the second (argv and environment as the hook, or the maturin it runs, gave them)
  is what hook-import-edit-cargo replays.
- hook-startup, hook-startup-disabled: `python -c pass` with the hook, and with it turned off by
  the variable, minus the same without the hook (paired runs).
- hook-stdlib-imports: 50 standard library modules and two of pip's vendored packages imported
  in one process (time.perf_counter around the imports), hook on minus hook off.
- hook-import-fresh: `import pyo3_mixed` with nothing changed (perf_counter in the process),
  hook on minus hook off; hook-import-fresh-10k: the same after adding 10,000 files under docs/.
- hook-import-edit: change `const VALUE` in src/lib.rs, then `import pyo3_mixed` (in-process time,
  which must give the new value); hook-import-edit-cargo: the same change, then only the cargo
  command the hook's rebuild ran, which must compile exactly the project's crate;
  hook-overhead-beyond-cargo: the difference of their medians.
- hook-import-touch: `os.utime` on src/lib.rs (content unchanged), then `import pyo3_mixed`.
- hook-import-fresh-<fixture>: the up-to-date import of other layouts, each in venvs and project
  copies of its own: pyo3-pure (pure Rust), ext-submodule (watchfiles' layout: the extension is
  a submodule that the package's modules import from) and src-layout (pendulum's: a rust/ crate
  and a src/ package with several submodules importing from the extension).
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from common import (
    HOOK_WORK_DIR,
    OURS,
    STDLIB_MODULES,
    BenchError,
    CargoCommand,
    Context,
    Results,
    Tool,
    alternate,
    cargo_replays,
    compiled_crates,
    ensure_wheelhouse,
    find_wheel,
    log,
    many_runs,
    median,
    paired,
    short_command,
    tool_venv,
    trace,
)
from develop import CRATE, FIXTURE, Workspace
from support import FIXTURES_DIR, Result, Venv, copy_project, run

MODULE = "pyo3_mixed"
DOCS_DIRS, DOCS_FILES_PER_DIR = 100, 100  # 10,000 files under docs/
REBUILD_RE = re.compile(rf'building "{MODULE}"')  # the INFO line of both hooks

IMPORT_SCRIPT = f"""\
import time
start = time.perf_counter()
import {MODULE}
seconds = time.perf_counter() - start
print(seconds, {MODULE}.get_value())
"""

STATE_SCRIPT = """\
import sys
finder = any(getattr(f, "__module__", "").startswith("maturin_import_hook") for f in sys.meta_path)
print(finder, "maturin_import_hook" in sys.modules)
"""

UNRELATED_MODULES = (
    *STDLIB_MODULES,
    # third-party, present in every venv
    "pip._vendor.packaging.version",
    "pip._vendor.platformdirs",
)

UNRELATED_SCRIPT = f"""\
import sys, time
names = {list(UNRELATED_MODULES)!r}
before = set(sys.modules)
new = sum(name not in sys.modules for name in names)
start = time.perf_counter()
for name in names:
    __import__(name)
seconds = time.perf_counter() - start
print(seconds, new, len(set(sys.modules) - before))
"""


@dataclass
class ImportRun:
    """One `python -c IMPORT_SCRIPT`: the in-process import time and what the process showed."""

    completed: Result
    seconds: float
    value: int
    rebuilt: bool
    compiled: list[str]


@dataclass
class Setup(Workspace):
    """One side: a venv with a maturin and its hook, the project installed with the hook."""

    site_packages: Path = Path()
    manifest: str = "Cargo.toml"

    @property
    def startup_file(self) -> Path:
        """The file that activates the hook at interpreter start-up."""
        if self.tool.name == OURS:
            found = sorted(self.site_packages.glob("maturin_hook-*.pth"))
            if len(found) != 1:
                raise BenchError(
                    f"ours: expected one maturin_hook-*.pth in {self.site_packages}, found {found}"
                )
            return found[0]
        return self.site_packages / "sitecustomize.py"

    def hook_env(self, hook: bool = True) -> dict[str, str]:
        """The environment develop ran with; `hook=False` adds MATURIN_IMPORT_HOOK_ENABLED=0."""
        env = self.env()
        if not hook:
            env["MATURIN_IMPORT_HOOK_ENABLED"] = "0"
        return env

    def python_c(self, script: str, *, hook: bool = True) -> Result:
        return run([self.python, "-c", script], cwd=self.root, env=self.hook_env(hook))

    def install(self) -> None:
        """Installs the project with the hook, as users of each side do."""
        manifest = self.project / self.manifest
        if self.tool.name == OURS:
            run([self.tool.maturin, "develop", "--with-hook", "-m", manifest], cwd=self.root, env=self.env())
        else:
            run([self.tool.maturin, "develop", "-m", manifest], cwd=self.root, env=self.env())
            run([self.python, "-m", "maturin_import_hook", "site", "install"], cwd=self.root, env=self.env())
        if not self.startup_file.is_file():
            raise BenchError(f"{self.tool.name}: the hook's start-up file {self.startup_file} is missing")

    def import_project(self, *, hook: bool = True) -> ImportRun:
        completed = self.python_c(IMPORT_SCRIPT, hook=hook)
        try:
            seconds, value = completed.stdout.strip().splitlines()[-1].split()
            parsed = ImportRun(
                completed,
                float(seconds),
                int(value),
                REBUILD_RE.search(completed.stderr) is not None,
                compiled_crates(completed.stderr),
            )
        except (IndexError, ValueError):
            raise BenchError(f"{self.tool.name}: unexpected output\n{completed.describe()}") from None
        return parsed

    def expect(self, result: ImportRun, value: int, after: str) -> None:
        if result.value != value:
            raise BenchError(
                f"{self.tool.name}: after {after}, `import {MODULE}` gave get_value() == {result.value}, "
                f"expected {value}: the hook did not rebuild\n{result.completed.describe()}"
            )

    def expect_fresh(self, result: ImportRun, what: str) -> None:
        if result.rebuilt or result.compiled:
            raise BenchError(
                f"{self.tool.name}: {what} should find the project up to date, but it rebuilt\n"
                f"{result.completed.describe()}"
            )

    def hook_state(self, *, hook: bool = True) -> tuple[bool, bool]:
        """(a finder of maturin_import_hook is on sys.meta_path, the package is imported) after start-up."""
        words = self.python_c(STATE_SCRIPT, hook=hook).stdout.split()
        if len(words) != 2:
            raise BenchError(f"{self.tool.name}: unexpected output of the hook state script: {words}")
        return words[0] == "True", words[1] == "True"

    @contextlib.contextmanager
    def without_hook(self) -> Iterator[None]:
        """The venv as if the hook was never activated: its start-up file moved aside."""
        path = self.startup_file
        aside = path.with_name(path.name + ".bench-off")
        path.rename(aside)
        try:
            yield
        finally:
            aside.rename(path)


# --- setup ---------------------------------------------------------------------------------


def make_setup(ctx: Context, tool: Tool, wheel: Path, wheelhouse: Path) -> Setup:
    root = HOOK_WORK_DIR / tool.name
    copy_project(FIXTURE, root / "project")
    installed = tool_venv(ctx, tool, root / "venv", wheel, wheelhouse)
    return Setup(installed, root, site_packages=Venv(root / "venv").site_packages)


def setup(ctx: Context) -> dict[str, Setup]:
    wheel = find_wheel(ctx)
    wheelhouse = ensure_wheelhouse(ctx)
    setups: dict[str, Setup] = {}
    for tool in ctx.tools:
        ws = make_setup(ctx, tool, wheel, wheelhouse)
        log(f"[hook] {tool.name}: install the project with the hook ({ws.tool.version}), warm-up imports")
        ws.install()
        first = ws.import_project()  # upstream builds here: no build status of its own yet
        ws.expect(first, ws.value(), "the install")
        ws.expect_fresh(ws.import_project(), "the second import after the install")
        for hook in (True, False):
            finder, _ = ws.hook_state(hook=hook)
            if finder != hook:
                state = "on" if hook else "off (MATURIN_IMPORT_HOOK_ENABLED=0)"
                raise BenchError(
                    f"{tool.name}: with the hook {state}, a finder is on sys.meta_path: {finder}"
                )
        setups[tool.name] = ws
        ctx.results.context[f"hook {tool.name}"] = (
            f"{ws.tool.version} in {ws.venv}"
            + (f" (from {wheel})" if tool.name == OURS else " + maturin_import_hook site install")
            + f"; first import after develop rebuilt: {'yes' if first.rebuilt else 'no'}"
        )
    return setups


# --- scenarios -----------------------------------------------------------------------------


def subprocesses(ctx: Context, setups: dict[str, Setup]) -> None:
    """Traces an up-to-date import, an import after a one-line change (its cargo command is what
    hook-import-edit-cargo replays) and an import after a touch, per tool."""
    cases = (
        ("fresh", "an up-to-date `import pyo3_mixed`"),
        ("edit", "a one-line change of src/lib.rs, then `import pyo3_mixed`"),
        ("touch", "a touch of src/lib.rs (content unchanged), then `import pyo3_mixed`"),
    )
    for case, what in cases:
        name = f"hook-subprocesses-{case}"
        metric = ctx.results.metric(name, f"processes started by {what} (strace -f)", unit="processes")
        for tool in ctx.tools:
            ws = setups[tool.name]
            if case == "edit":
                value = ws.edit()
            else:
                value = ws.value()
                if case == "touch":
                    os.utime(ws.lib_rs)
            log(f"[hook] {tool.name}: tracing {what}")
            traced = trace(
                [ws.python, "-c", IMPORT_SCRIPT],
                cwd=ws.root,
                env=ws.env(),
                log_path=ws.root / f"strace-{name}.txt",
            )
            got = traced.completed.stdout.split()
            if not got or got[-1] != str(value):
                raise BenchError(
                    f"{tool.name}: the traced import ({case}) should give get_value() == {value}\n"
                    f"{traced.completed.describe()}"
                )
            rebuilt = REBUILD_RE.search(traced.completed.stderr) is not None
            if case == "fresh" and rebuilt:
                raise BenchError(
                    f"{tool.name}: the traced up-to-date import rebuilt\n{traced.completed.describe()}"
                )
            if case == "touch" and rebuilt and tool.name == OURS:
                ctx.results.warn(
                    "ours: the traced import after a touch of src/lib.rs rebuilt (content unchanged)"
                )
            metric.add(tool.name, len(traced.execs))
            metric.details[tool.name] = {
                "counts": traced.counts(),
                "commands": [short_command(e.argv) for e in traced.execs],
            }
            if case == "edit":
                ws.cargo = CargoCommand.from_trace(traced, tool.name, "the import")


def startup(ctx: Context, setups: dict[str, Setup]) -> None:
    runs = many_runs(ctx)
    installed = ctx.results.metric(
        "hook-startup", "`python -c pass` with the hook installed minus without it (paired runs)"
    )
    disabled = ctx.results.metric(
        "hook-startup-disabled",
        "`python -c pass` with MATURIN_IMPORT_HOOK_ENABLED=0 minus without the hook (paired runs)",
    )

    def python_pass(hook: bool) -> Callable[[Setup], float]:
        return lambda ws: run([ws.python, "-c", "pass"], cwd=ws.root, env=ws.hook_env(hook)).seconds

    def no_hook(ws: Setup) -> float:
        with ws.without_hook():
            return run([ws.python, "-c", "pass"], cwd=ws.root, env=ws.env()).seconds

    for ws in setups.values():
        with ws.without_hook():
            if ws.hook_state() != (False, False):
                raise BenchError(
                    f"{ws.tool.name}: with {ws.startup_file.name} moved aside, the hook still loads"
                )
    log(f"[hook] start-up: {runs} runs per tool and variant, alternating")
    variants = {"hooked": python_pass(True), "disabled": python_pass(False), "none": no_hook}
    paired(ctx, setups, runs, variants, "none", {"hooked": installed, "disabled": disabled})
    # Back in step, untimed: renaming the start-up file changed its ctime, and ours compares
    # installed files by their stats, so its next import of the project may run a full develop.
    for tool in ctx.tools:
        ws = setups[tool.name]
        result = ws.import_project()
        ws.expect(result, ws.value(), "the start-up runs")
        ws.expect_fresh(ws.import_project(), "the second import after the start-up runs")
        for metric in (installed, disabled):
            details = metric.details[tool.name]
            assert isinstance(details, dict)
            details["next_import_rebuilt"] = result.rebuilt


def unrelated_imports(ctx: Context, setups: dict[str, Setup]) -> None:
    runs = max(10, 2 * ctx.runs)
    metric = ctx.results.metric(
        "hook-stdlib-imports",
        f"import {len(UNRELATED_MODULES)} unrelated modules in one process, hook on minus hook off",
    )
    seen: dict[str, tuple[int, int]] = {}

    def imports(hook: bool) -> Callable[[Setup], float]:
        def measure(ws: Setup) -> float:
            words = ws.python_c(UNRELATED_SCRIPT, hook=hook).stdout.split()
            seen[ws.tool.name] = (int(words[1]), int(words[2]))
            return float(words[0])

        return measure

    log(f"[hook] unrelated imports: {runs} runs per tool and variant, alternating")
    paired(ctx, setups, runs, {"hooked": imports(True), "off": imports(False)}, "off", {"hooked": metric})
    for tool in ctx.tools:
        details = metric.details[tool.name]
        assert isinstance(details, dict)
        details["listed_not_yet_imported"], details["modules_loaded"] = seen[tool.name]


def fresh_import(ctx: Context, setups: dict[str, Setup], name: str, description: str) -> None:
    runs = many_runs(ctx)
    metric = ctx.results.metric(name, description)

    def measure(hook: bool) -> Callable[[Setup], float]:
        def once(ws: Setup) -> float:
            result = ws.import_project(hook=hook)
            ws.expect(result, ws.value(), "no change")
            ws.expect_fresh(result, f"{name} (hook {'on' if hook else 'off'})")
            return result.seconds

        return once

    log(f"[hook] {name}: {runs} runs per tool and variant, alternating")
    paired(ctx, setups, runs, {"hooked": measure(True), "off": measure(False)}, "off", {"hooked": metric})


def edit_import(ctx: Context, setups: dict[str, Setup]) -> None:
    metric = ctx.results.metric(
        "hook-import-edit", "change a literal in src/lib.rs, then `import pyo3_mixed` (in-process time)"
    )
    walls: dict[str, list[float]] = {tool.name: [] for tool in ctx.tools}

    def once(tool: Tool, index: int) -> None:
        ws = setups[tool.name]
        value = ws.edit()
        result = ws.import_project()
        ws.expect(result, value, f"hook-import-edit #{index + 1}")
        metric.add(tool.name, result.seconds)
        walls[tool.name].append(result.completed.seconds)
        extra = [crate for crate in result.compiled if crate != CRATE]
        if extra:
            ctx.results.warn(f"{tool.name}: hook-import-edit #{index + 1} also compiled {', '.join(extra)}")

    log(f"[hook] hook-import-edit: {ctx.runs} runs per tool, alternating")
    alternate(ctx.tools, ctx.runs, once)
    for tool in ctx.tools:
        metric.details[tool.name] = {"process_wall_median_s": median(walls[tool.name])}


def edit_cargo(ctx: Context, setups: dict[str, Setup]) -> None:
    metric = ctx.results.metric(
        "hook-import-edit-cargo", "the same change, then only the cargo command of the hook's rebuild"
    )
    commands = {name: (ws.cargo_command, ws.root) for name, ws in setups.items()}
    cargo_replays(ctx, metric, commands, lambda name: setups[name].edit(), CRATE, "the hook's")

    # Back in step: an import installs what the replay built (ours shows cargo's output: nothing
    # may compile; upstream's hook keeps maturin's output to itself).
    for tool in ctx.tools:
        ws = setups[tool.name]
        result = ws.import_project()
        ws.expect(result, ws.value(), "hook-import-edit-cargo")
        if result.compiled:
            raise BenchError(
                f"{tool.name}: an import after hook-import-edit-cargo compiled {', '.join(result.compiled)}: "
                f"the replayed cargo command does not match the hook's\n{result.completed.describe()}"
            )


def overhead(results: Results, tools: list[Tool]) -> None:
    hooked, cargo = results.metrics["hook-import-edit"], results.metrics["hook-import-edit-cargo"]
    metric = results.metric(
        "hook-overhead-beyond-cargo",
        "median hook-import-edit minus median hook-import-edit-cargo",
        derived=True,
    )
    for tool in tools:
        hooked_s, cargo_s = hooked.value(tool.name), cargo.value(tool.name)
        if hooked_s is not None and cargo_s is not None:
            metric.add(tool.name, hooked_s - cargo_s)


def touch_import(ctx: Context, setups: dict[str, Setup]) -> None:
    metric = ctx.results.metric(
        "hook-import-touch", "os.utime on src/lib.rs (content unchanged), then `import pyo3_mixed`"
    )
    rebuilt: dict[str, int] = {tool.name: 0 for tool in ctx.tools}

    def once(tool: Tool, index: int) -> None:
        ws = setups[tool.name]
        os.utime(ws.lib_rs)
        result = ws.import_project()
        ws.expect(result, ws.value(), f"hook-import-touch #{index + 1}")
        metric.add(tool.name, result.seconds)
        if result.rebuilt:
            rebuilt[tool.name] += 1

    log(f"[hook] hook-import-touch: {ctx.runs} runs per tool, alternating")
    alternate(ctx.tools, ctx.runs, once)
    for tool in ctx.tools:
        metric.details[tool.name] = {"rebuilds": rebuilt[tool.name], "runs": ctx.runs}
    if rebuilt[OURS]:
        ctx.results.warn(
            f"ours: {rebuilt[OURS]} of {ctx.runs} imports after a touch rebuilt (content unchanged)"
        )


def add_docs(ctx: Context, setups: dict[str, Setup]) -> None:
    """10,000 small files under docs/ of each copy; one untimed import each afterwards (upstream's
    hook takes the new files for changed sources and rebuilds once)."""
    for tool in ctx.tools:
        ws = setups[tool.name]
        for d in range(DOCS_DIRS):
            directory = ws.project / "docs" / f"section{d:03}"
            directory.mkdir(parents=True, exist_ok=True)
            for f in range(DOCS_FILES_PER_DIR):
                (directory / f"page{f:03}.md").write_text(f"# Page {d}.{f}\n\nNothing the build reads.\n")
        first = ws.import_project()
        ws.expect(first, ws.value(), "adding docs/")
        ws.expect_fresh(ws.import_project(), "the second import after adding docs/")
        if tool.name == OURS and first.rebuilt:
            ctx.results.warn("ours: the first import after adding 10,000 files under docs/ rebuilt")
        ctx.results.context[f"hook {tool.name}"] += (
            f"; first import after adding docs/ rebuilt: {'yes' if first.rebuilt else 'no'}"
        )


LAYOUTS = (
    ("pyo3-pure", "Cargo.toml", "pyo3_pure", "pure Rust"),
    ("ext-submodule", "Cargo.toml", "watch_like", "watchfiles' layout"),
    ("src-layout", "rust/Cargo.toml", "pend_like", "pendulum's layout"),
)

LAYOUT_SCRIPT = """\
import time
start = time.perf_counter()
import {module}
print(time.perf_counter() - start)
"""


def layout_imports(ctx: Context) -> None:
    """The up-to-date import of other project layouts, hook on minus hook off, per tool."""
    wheel = find_wheel(ctx)
    wheelhouse = ensure_wheelhouse(ctx)
    runs = many_runs(ctx)
    for fixture, manifest, module, layout in LAYOUTS:
        script = LAYOUT_SCRIPT.format(module=module)
        setups: dict[str, Setup] = {}
        for tool in ctx.tools:
            root = HOOK_WORK_DIR / f"layout-{fixture}" / tool.name
            copy_project(FIXTURES_DIR / fixture, root / "project")
            installed = tool_venv(ctx, tool, root / "venv", wheel, wheelhouse)
            ws = Setup(installed, root, site_packages=Venv(root / "venv").site_packages, manifest=manifest)
            log(f"[hook] {tool.name}: {fixture} installed with the hook, warm-up imports")
            ws.install()
            ws.python_c(script)  # upstream builds here: no build status of its own yet
            setups[tool.name] = ws

        metric = ctx.results.metric(
            f"hook-import-fresh-{fixture}",
            f"up-to-date `import {module}` ({fixture}, {layout}), hook on minus hook off",
        )
        log(f"[hook] {metric.name}: {runs} runs per tool and variant, alternating")
        variants = {"hooked": layout_import(script, True), "off": layout_import(script, False)}
        paired(ctx, setups, runs, variants, "off", {"hooked": metric})


def layout_import(script: str, hook: bool) -> Callable[[Setup], float]:
    """One in-process time of an up-to-date import by `script` (LAYOUT_SCRIPT)."""

    def once(ws: Setup) -> float:
        completed = ws.python_c(script, hook=hook)
        if "building" in completed.stderr:
            raise BenchError(f"{ws.tool.name}: rebuilt, nothing changed\n{completed.describe()}")
        return float(completed.stdout.split()[-1])

    return once


def run_scenarios(ctx: Context) -> None:
    setups = setup(ctx)
    subprocesses(ctx, setups)
    startup(ctx, setups)
    unrelated_imports(ctx, setups)
    fresh_import(
        ctx,
        setups,
        "hook-import-fresh",
        "up-to-date `import pyo3_mixed` (in-process), hook on minus hook off",
    )
    edit_import(ctx, setups)
    edit_cargo(ctx, setups)
    overhead(ctx.results, ctx.tools)
    touch_import(ctx, setups)
    add_docs(ctx, setups)
    fresh_import(
        ctx,
        setups,
        "hook-import-fresh-10k",
        "the same with 10,000 more files under docs/ of the project, hook on minus hook off",
    )
    layout_imports(ctx)
