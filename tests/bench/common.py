"""Shared machinery of the benchmark suite: tools, results, timing, venvs, subprocess tracing.

A scenario module (develop.py, ...) gets a `Context` and records what it measured in
`ctx.results`; run.py prints the table, writes bench-results/results.json and draws the chart.
Running commands, making venvs and copying projects are the test suite's helpers, imported from
tests/python/support.py (run.py puts that directory on sys.path).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence, TypeVar

from support import (
    REPO_ROOT,
    TEST_WHEEL_DIR,
    UPSTREAM_IMPORT_HOOK_VERSION,
    UPSTREAM_VERSION,
    Result,
    Venv,
    built_wheel,
    make_venv,
    run,
    without_colours,
)

WORK_DIR = REPO_ROOT / "target" / "bench-work"
DEFAULT_OUTPUT_DIR = REPO_ROOT / "bench-results"
UPSTREAM_REQUIREMENTS = (
    f"maturin=={UPSTREAM_VERSION}",
    f"maturin-import-hook=={UPSTREAM_IMPORT_HOOK_VERSION}",
)
WHEELHOUSE = WORK_DIR / "upstream-wheels"  # the upstream wheels, downloaded once
# The setups of the hook and importer groups: outside the repository, because upstream's hook looks
# for a maturin project above every sys.path entry and the repository root is one.
HOOK_WORK_DIR = Path(tempfile.gettempdir()) / "maturin-hook-bench"

STDLIB_MODULES = (
    # 50 standard library modules, none of them imported at start-up or by either hook's install()
    "asyncio", "csv", "difflib", "pprint", "uuid", "xml.etree.ElementTree", "xml.dom.minidom",
    "html.parser", "http.cookies", "http.server", "mimetypes", "cmd", "shlex", "glob", "gzip",
    "tarfile", "configparser", "optparse", "statistics", "fractions", "heapq", "queue", "smtplib",
    "imaplib", "ftplib", "poplib", "socketserver", "xmlrpc.client", "graphlib", "pickle",
    "pickletools", "shelve", "plistlib", "cProfile", "pstats", "timeit", "trace", "doctest",
    "unittest", "concurrent.futures", "multiprocessing", "ctypes", "code", "compileall", "zoneinfo",
    "contextvars", "unicodedata", "webbrowser", "wsgiref.simple_server", "mailbox",
)  # fmt: skip

OURS = "ours"
UPSTREAM = "upstream"


class BenchError(Exception):
    """A benchmark could not measure what it claims to measure: the run must fail loudly."""


@dataclass(frozen=True)
class Tool:
    """One maturin binary under test."""

    name: str
    maturin: Path
    version: str


@dataclass
class Metric:
    """One figure of the suite, per tool: the samples of a measurement, or a derived value."""

    name: str
    description: str
    unit: str  # "s" for wall time, anything else is a count
    samples: dict[str, list[float]] = field(default_factory=dict)
    details: dict[str, object] = field(default_factory=dict)
    derived: bool = False
    group: str = ""  # the scenario group (module) that made it: a row of the chart, a block of the table

    def add(self, tool: str, value: float) -> None:
        self.samples.setdefault(tool, []).append(value)

    def value(self, tool: str) -> float | None:
        values = self.samples.get(tool)
        return statistics.median(values) if values else None

    def ratio(self) -> float | None:
        """upstream / ours: above 1 means we are faster (or start fewer processes)."""
        ours, upstream = self.value(OURS), self.value(UPSTREAM)
        if ours is None or upstream is None or ours <= 0:
            return None
        return upstream / ours

    def to_json(self) -> dict[str, object]:
        per_tool: dict[str, object] = {}
        for tool, values in self.samples.items():
            entry: dict[str, object] = {"median": self.value(tool)}
            if not self.derived:
                entry.update(samples=values, min=min(values), max=max(values), n=len(values))
            if tool in self.details:
                entry["details"] = self.details[tool]
            per_tool[tool] = entry
        return {
            "description": self.description,
            "group": self.group,
            "unit": self.unit,
            "derived": self.derived,
            "tools": per_tool,
            "ratio_upstream_over_ours": self.ratio(),
        }


class Results:
    """Every metric of one run of the suite, in the order the scenarios created them."""

    def __init__(self) -> None:
        self.metrics: dict[str, Metric] = {}
        self.warnings: list[str] = []
        self.group = ""  # set by run.py to the scenario group running; new metrics get it
        self.context: dict[str, str] = {}  # what a scenario group set up, for the table and the JSON

    def warn(self, message: str) -> None:
        """Something worth a look that does not invalidate the figures (printed and kept in the JSON)."""
        log(f"warning: {message}")
        self.warnings.append(message)

    def metric(self, name: str, description: str, unit: str = "s", *, derived: bool = False) -> Metric:
        if name not in self.metrics:
            self.metrics[name] = Metric(name, description, unit, derived=derived, group=self.group)
        return self.metrics[name]


@dataclass
class Context:
    """What a scenario module gets: the tools, the run count, a work directory and the results."""

    tools: list[Tool]
    runs: int
    python: Path  # the interpreter that fresh target venvs are made from
    work_dir: Path
    results: Results = field(default_factory=Results)
    ours_wheel: Path | None = None  # our wheel (binary + maturin_import_hook runtime), for the hook groups
    rs_runs: int = 3  # runs of the cold `.rs` builds of the importer group (tens of seconds each)

    def tool(self, name: str) -> Tool:
        for tool in self.tools:
            if tool.name == name:
                return tool
        raise KeyError(name)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


# --- processes ---------------------------------------------------------------------------


def alternate(tools: Sequence[Tool], runs: int, body: Callable[[Tool, int], None]) -> None:
    """Runs `body(tool, i)` for i in range(runs), interleaving the tools: A, B, A, B, ...

    Interleaving spreads slow drifts of the machine (thermal, caches, other load) evenly over
    the tools instead of charging them to whichever ran last.
    """
    for index in range(runs):
        for tool in tools:
            body(tool, index)


S = TypeVar("S")


def many_runs(ctx: Context) -> int:
    """Runs of the cheap scenarios (a process of a few tens of ms): more, for sub-ms figures."""
    return max(20, 3 * ctx.runs)


def paired(
    ctx: Context,
    setups: Mapping[str, S],
    runs: int,
    variants: Mapping[str, Callable[[S], float]],
    baseline: str,
    metrics: Mapping[str, Metric],
) -> dict[str, dict[str, list[float]]]:
    """Measures every variant once per run and tool (in an order that rotates from run to run),
    the tools alternating. `metrics[variant]` gets, per run, that variant minus `baseline` of the
    same run, and the median of every variant in its details. Returns the raw samples.

    Subtracting within a run cancels what both variants pay (interpreter start-up, the machine's
    state at that moment); rotating the order keeps the variants from always running after the
    same neighbour (warm page cache, CPU frequency)."""
    names = list(variants)
    raw: dict[str, dict[str, list[float]]] = {tool.name: {name: [] for name in names} for tool in ctx.tools}

    def once(tool: Tool, index: int) -> None:
        subject = setups[tool.name]
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            raw[tool.name][name].append(variants[name](subject))
        samples = raw[tool.name]
        for name, metric in metrics.items():
            metric.add(tool.name, samples[name][-1] - samples[baseline][-1])

    alternate(ctx.tools, runs, once)
    for tool in ctx.tools:
        medians = {f"{name}_median_s": median(raw[tool.name][name]) for name in names}
        for metric in metrics.values():
            metric.details[tool.name] = dict(medians)
    return raw


def stale_warning(artifact: Path) -> str | None:
    """A warning when the repo's Rust sources changed after `artifact` (an install or a wheel of ours)
    was made: its figures are then for an older state than the working tree."""
    sources = [REPO_ROOT / "Cargo.toml", REPO_ROOT / "Cargo.lock"]
    for directory in (REPO_ROOT / "src", REPO_ROOT / "import-hook" / "src"):
        sources += directory.rglob("*.rs")
    newest = max((p for p in sources if p.exists()), key=lambda p: p.stat().st_mtime, default=None)
    if newest is None or newest.stat().st_mtime <= artifact.stat().st_mtime:
        return None
    return (
        f"{artifact} is older than {newest.relative_to(REPO_ROOT)}: the figures are for the build it "
        f"holds, not the working tree"
    )


def compiled_crates(cargo_stderr: str) -> list[str]:
    """The crates cargo says it compiled (`   Compiling name vX (path)`), in order; colours
    (upstream's import hook runs maturin and so cargo with `--color always`) are ignored."""
    return re.findall(r"^\s*Compiling (\S+) v", without_colours(cargo_stderr), flags=re.MULTILINE)


# --- environments ------------------------------------------------------------------------


def venv_environment(venv: Path, **extra: str) -> dict[str, str]:
    """The environment of an activated `venv` (its bin directory first on PATH), without what
    would point a tool at another Python environment or cargo run (PYTHONPATH, CARGO_TARGET_DIR,
    RUST_LOG) unless `extra` sets it. Our store of built extensions is off unless `extra` turns
    it on: the rebuild rows alternate two values and would restore the second after a while."""
    activated = Venv(venv, unset=("PYTHONPATH", "CARGO_TARGET_DIR", "RUST_LOG"))
    env = activated.env(**{"MATURIN_IMPORT_HOOK_STORE": "off", **extra})
    env["PATH"] = f"{activated.bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def find_wheel(ctx: Context) -> Path:
    """Our wheel for the groups that install the hook's runtime into a venv: --ours-wheel, else the
    newest in TEST_WHEEL_DIR. A warning (once) when the Rust sources are newer."""
    if ctx.ours_wheel is not None:
        if not ctx.ours_wheel.is_file():
            raise BenchError(f"--ours-wheel {ctx.ours_wheel} does not exist")
        wheel = ctx.ours_wheel.absolute()
    else:
        built = built_wheel()
        if built is None:
            raise BenchError(
                f"no maturin-*.whl in {TEST_WHEEL_DIR}: the hook and importer scenarios install our wheel "
                f"(binary and maturin_import_hook runtime) into their venv. Build it with "
                f"`pip wheel --no-deps -w target/test-wheel .` at the repo root, or pass --ours-wheel PATH"
            )
        wheel = built
    stale = stale_warning(wheel)
    if stale is not None and stale not in ctx.results.warnings:
        ctx.results.warn(stale)
    return wheel


def ensure_wheelhouse(ctx: Context) -> Path:
    """The upstream wheels in WHEELHOUSE (downloaded with pip the first time), so that the fresh
    upstream venv of every run installs offline."""
    stamp = WHEELHOUSE / ".requirements"
    if stamp.is_file() and stamp.read_text() == " ".join(UPSTREAM_REQUIREMENTS):
        return WHEELHOUSE
    log(f"[{ctx.results.group}] pip download {' '.join(UPSTREAM_REQUIREMENTS)} into {WHEELHOUSE}")
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    run(
        [
            *(ctx.python, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"),
            *("--only-binary=:all:", "--dest", WHEELHOUSE, *UPSTREAM_REQUIREMENTS),
        ]
    )
    stamp.write_text(" ".join(UPSTREAM_REQUIREMENTS))
    return WHEELHOUSE


def tool_venv(ctx: Context, tool: Tool, venv: Path, wheel: Path, wheelhouse: Path) -> Tool:
    """A fresh venv at `venv` with one side installed, as its users install it: ours is our wheel
    (our `maturin` and the `maturin_import_hook` runtime), upstream is UPSTREAM_REQUIREMENTS,
    offline from `wheelhouse`. Returns the tool as that venv has it (its `bin/maturin`)."""
    made = make_venv(venv, ctx.python)
    if tool.name == OURS:
        log(f"[{ctx.results.group}] ours: venv with {wheel.name}")
        made.pip("install", "--quiet", wheel)
    else:
        log(f"[{ctx.results.group}] upstream: venv with {', '.join(UPSTREAM_REQUIREMENTS)}")
        made.pip("install", "--quiet", "--no-index", "--find-links", wheelhouse, *UPSTREAM_REQUIREMENTS)
    maturin = made.bin_dir / "maturin"
    return Tool(tool.name, maturin, run([maturin, "--version"]).stdout.strip())


# --- subprocess tracing ------------------------------------------------------------------


@dataclass
class Exec:
    """One process seen by strace.

    `argv` and `env` are those of its first successful execve (what its parent asked for, e.g.
    `cargo` found on PATH); `program` is the basename of its last one (what really ran, e.g. the
    toolchain's cargo that rustup's proxy execs in the same process).
    """

    pid: int
    argv: list[str]
    env: dict[str, str]
    program: str


@dataclass
class Trace:
    completed: Result
    root_pid: int
    execs: list[Exec]  # one per process (its last program), the traced command itself excluded

    def counts(self) -> dict[str, int]:
        counter = Counter(e.program for e in self.execs)
        return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


_ESCAPES = {"n": b"\n", "t": b"\t", "r": b"\r", "v": b"\v", "f": b"\f", '"': b'"', "\\": b"\\"}


class _StraceParser:
    """Parses the arguments of one `execve(...)` line of strace -v output."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def expect(self, char: str) -> None:
        self.skip_space()
        if not self.text.startswith(char, self.pos):
            raise ValueError(f"expected {char!r} at {self.pos} in {self.text[:200]!r}")
        self.pos += 1

    def string(self) -> str:
        self.expect('"')
        out = bytearray()
        text = self.text
        while True:
            char = text[self.pos]
            if char == '"':
                self.pos += 1
                break
            if char == "\\":
                nxt = text[self.pos + 1]
                if nxt in _ESCAPES:
                    out += _ESCAPES[nxt]
                    self.pos += 2
                elif nxt == "x":
                    out.append(int(text[self.pos + 2 : self.pos + 4], 16))
                    self.pos += 4
                else:
                    match = re.match(r"[0-7]{1,3}", text[self.pos + 1 :])
                    if not match:
                        raise ValueError(f"bad escape at {self.pos} in {text[:200]!r}")
                    out.append(int(match.group(0), 8))
                    self.pos += 1 + len(match.group(0))
            else:
                out += char.encode()
                self.pos += 1
        if text.startswith("...", self.pos):  # truncated string
            self.pos += 3
        return out.decode("utf-8", errors="surrogateescape")

    def array_or_pointer(self) -> list[str] | None:
        self.skip_space()
        if not self.text.startswith("[", self.pos):  # NULL or 0x... /* N vars */
            match = re.match(r"[^,)]*", self.text[self.pos :])
            assert match is not None
            self.pos += len(match.group(0))
            return None
        self.pos += 1
        items: list[str] = []
        while True:
            self.skip_space()
            if self.text.startswith("]", self.pos):
                self.pos += 1
                return items
            if self.text.startswith("...", self.pos):
                self.pos += 3
            else:
                items.append(self.string())
            self.skip_space()
            if self.text.startswith(",", self.pos):
                self.pos += 1


def parse_strace(path: Path) -> tuple[int, list[Exec]]:
    """The processes of a `strace -f -v -e trace=execve` log (see `Exec`), and the first pid."""
    line_re = re.compile(r"^(\d+)\s+(.*)$")
    pending: dict[int, tuple[list[str], dict[str, str]]] = {}
    seen: dict[int, Exec] = {}
    for raw in path.read_text(errors="surrogateescape").splitlines():
        match = line_re.match(raw)
        if not match:
            continue
        pid, rest = int(match.group(1)), match.group(2)
        if rest.startswith("execve("):
            parser = _StraceParser(rest[len("execve(") :])
            parser.string()  # the path
            parser.expect(",")
            argv = parser.array_or_pointer() or []
            parser.expect(",")
            env_list = parser.array_or_pointer() or []
            env = dict(item.split("=", 1) for item in env_list if "=" in item)
            tail = rest[parser.pos :]
            if "<unfinished" in tail:
                pending[pid] = (argv, env)
                continue
            ok = re.search(r"\)\s*=\s*0\s*$", tail) is not None
        elif rest.startswith("<... execve resumed>"):
            if pid not in pending:
                continue
            argv, env = pending.pop(pid)
            ok = re.search(r"=\s*0\s*$", rest) is not None
        else:
            continue
        if not ok:
            continue
        program = os.path.basename(argv[0]) if argv else "?"
        if pid in seen:
            seen[pid].program = program
        else:
            seen[pid] = Exec(pid, argv, env, program)
    if not seen:
        raise BenchError(f"no successful execve in {path}")
    execs = list(seen.values())  # dicts keep insertion order: the order processes started
    return execs[0].pid, execs


def ensure_strace() -> str:
    found = shutil.which("strace")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("strace is missing: apt-get install -y strace")
        run(["apt-get", "install", "-y", "strace"])
        found = shutil.which("strace")
        if found:
            return found
    raise BenchError("strace is needed for the subprocess scenarios: install it (apt-get install strace)")


def trace(
    args: Sequence[object], *, cwd: Path, env: Mapping[str, str], log_path: Path, check: bool = True
) -> Trace:
    """Runs a command under `strace -f` and returns every process it started, with argv and env."""
    strace = ensure_strace()
    completed = run(
        [strace, "-f", "-v", "-s", "65536", "-e", "trace=execve", "-o", log_path, *args],
        cwd=cwd,
        env=env,
        check=check,
    )
    root_pid, execs = parse_strace(log_path)
    return Trace(completed, root_pid, [e for e in execs if e.pid != root_pid])


@dataclass
class CargoCommand:
    """A cargo build command exactly as a tool ran it (argv and environment, from strace), replayed
    alone to tell cargo's share of a rebuild from the tool's own."""

    argv: list[str]
    env: dict[str, str]

    @classmethod
    def from_trace(cls, traced: Trace, who: str, what: str) -> CargoCommand:
        """The first `cargo rustc`/`cargo build` among the processes of `traced` (`who` ran `what`)."""
        builds = [
            e
            for e in traced.execs
            if e.program == "cargo" and len(e.argv) > 1 and e.argv[1] in ("rustc", "build")
        ]
        if not builds:
            raise BenchError(f"{who}: no `cargo rustc`/`cargo build` among the processes of {what}")
        return cls(builds[0].argv, builds[0].env)

    def details(self) -> dict[str, object]:
        """The command and the environment variables that matter to cargo, for the JSON."""
        shown_env = {k: v for k, v in sorted(self.env.items()) if k.startswith(("PYO3_", "PYTHON", "CARGO"))}
        return {"command": self.argv, "env": shown_env}


def cargo_replays(
    ctx: Context,
    metric: Metric,
    commands: Mapping[str, tuple[CargoCommand, Path]],
    edit: Callable[[str], object],
    crate: str,
    whose: str,
) -> None:
    """`metric` (ctx.runs runs per tool, alternating): `edit(tool name)` (a one-line change), then
    only the tool's cargo command (`commands[tool name]`: the command and its working directory).
    It must compile exactly `crate`: anything else means the replay does not match `whose` cargo
    fingerprint, and its time would not be the tool's cargo time."""
    for name, (command, _) in commands.items():
        metric.details[name] = command.details()

    def once(tool: Tool, index: int) -> None:
        edit(tool.name)
        command, cwd = commands[tool.name]
        result = run(command.argv, cwd=cwd, env=command.env)
        compiled = compiled_crates(result.stderr)
        if compiled != [crate]:
            raise BenchError(
                f"{tool.name}: {metric.name} #{index + 1} should compile only {crate}, compiled "
                f"{compiled or 'nothing'}: the replayed command does not match {whose} cargo "
                f"fingerprint\n{result.describe()}"
            )
        metric.add(tool.name, result.seconds)

    log(f"[{ctx.results.group}] {metric.name}: {ctx.runs} runs per tool, alternating")
    alternate(ctx.tools, ctx.runs, once)


def short_command(argv: Sequence[str], limit: int = 160) -> str:
    """A one-line, shortened rendering of a command for reports."""
    parts = [os.path.basename(argv[0]) if argv else "?"]
    for arg in argv[1:]:
        parts.append(arg if len(arg) <= 60 else arg[:57].replace("\n", " ") + "...")
    text = " ".join(parts).replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."
