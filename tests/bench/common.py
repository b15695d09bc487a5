"""Shared machinery of the benchmark suite: tools, results, timing, venvs, subprocess tracing.

A scenario module (develop.py, ...) gets a `Context` and records what it measured in
`ctx.results`; run.py prints the table, writes bench-results/results.json and draws the chart.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures"
WORK_DIR = REPO_ROOT / "target" / "bench-work"
DEFAULT_OUTPUT_DIR = REPO_ROOT / "bench-results"

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
    ours_wheel: Path | None = None  # our wheel (binary + maturin_import_hook runtime), for the hook group

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


@dataclass
class Completed:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        return (
            f"$ {' '.join(self.args)}\nexit {self.returncode} after {self.seconds:.2f}s\n"
            f"--- stdout\n{self.stdout[-4000:]}\n--- stderr\n{self.stderr[-4000:]}"
        )


def run(
    args: Sequence[object],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float = 1800,
) -> Completed:
    """Runs a command with captured output; the wall time is measured around the whole run."""
    str_args = [str(arg) for arg in args]
    start = time.perf_counter()
    proc = subprocess.run(
        str_args,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.perf_counter() - start
    result = Completed(str_args, proc.returncode, proc.stdout, proc.stderr, seconds)
    if check and result.returncode != 0:
        raise BenchError(f"command failed:\n{result.describe()}")
    return result


def alternate(tools: Sequence[Tool], runs: int, body: Callable[[Tool, int], None]) -> None:
    """Runs `body(tool, i)` for i in range(runs), interleaving the tools: A, B, A, B, ...

    Interleaving spreads slow drifts of the machine (thermal, caches, other load) evenly over
    the tools instead of charging them to whichever ran last.
    """
    for index in range(runs):
        for tool in tools:
            body(tool, index)


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
    plain = re.sub(r"\x1b\[[0-9;]*m", "", cargo_stderr)
    return re.findall(r"^\s*Compiling (\S+) v", plain, flags=re.MULTILINE)


# --- environments ------------------------------------------------------------------------


def clean_environment(**extra: str) -> dict[str, str]:
    """os.environ minus whatever points a tool at some other Python environment or cargo run."""
    dropped = {"VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONHOME", "PYTHONPATH", "CARGO_TARGET_DIR", "RUST_LOG"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(extra)
    return env


def venv_environment(venv: Path, **extra: str) -> dict[str, str]:
    """The environment of an activated `venv`."""
    env = clean_environment(VIRTUAL_ENV=str(venv), **extra)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def make_venv(path: Path, python: Path) -> Path:
    """A fresh venv (with pip, as `python -m venv` makes it) at `path`; returns its python."""
    if path.exists():
        shutil.rmtree(path)
    run([python, "-m", "venv", path])
    return path / "bin" / "python"


def pip_install(python: Path, *requirements: object, find_links: Path | None = None) -> Completed:
    """`python -m pip install` of wheels or requirements; with `find_links`, offline from that directory."""
    args: list[object] = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if find_links is not None:
        args += ["--no-index", "--find-links", find_links]
    return run([*args, *requirements])


def copy_project(source: Path, destination: Path) -> None:
    """A fresh copy of a fixture project, without build output.

    The copy gets new mtimes on purpose (shutil.copy, not copy2): cargo compares a source's
    mtime with its last build, and an old mtime on changed content would look fresh to it.
    """
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(source, destination, copy_function=shutil.copy, ignore=shutil.ignore_patterns("target"))


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
    completed: Completed
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


def short_command(argv: Sequence[str], limit: int = 160) -> str:
    """A one-line, shortened rendering of a command for reports."""
    parts = [os.path.basename(argv[0]) if argv else "?"]
    for arg in argv[1:]:
        parts.append(arg if len(arg) <= 60 else arg[:57].replace("\n", " ") + "...")
    text = " ".join(parts).replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."
