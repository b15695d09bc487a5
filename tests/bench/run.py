"""Benchmark suite: our maturin side by side with upstream maturin 1.16.0.

    scripts/bench [--runs N] [--rs-runs N] [--ours PATH] [--ours-wheel PATH]
                  [--only develop|hook|importer|editable|watch|notebook|store]

Prints a table, writes bench-results/results.json and bench-results/chart.png (repo root).
`scripts/bench` makes the venvs this needs; see tests/bench/README.md.

To add scenarios, write a module with a `run_scenarios(ctx: Context) -> None` that records
metrics in `ctx.results`, and list it in SCENARIOS below.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Callable

# The suite shares the test suite's helpers (running commands, venvs, ...): tests/python/support.py.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

import develop
import editable
import hook
import importer
import notebook
import report
import store
import watch
from common import (
    DEFAULT_OUTPUT_DIR,
    OURS,
    UPSTREAM,
    WORK_DIR,
    BenchError,
    Context,
    Tool,
    log,
    stale_warning,
)
from support import REPO_ROOT, TEST_WHEEL_DIR, UPSTREAM_VERSION, CommandFailed, run

SCENARIOS: dict[str, ModuleType] = {
    "develop": develop,
    "hook": hook,
    "importer": importer,
    "editable": editable,
    "watch": watch,
    "notebook": notebook,
    "store": store,
}

TEST_VENV_MATURIN = REPO_ROOT / "target" / "test-venv" / "bin" / "maturin"
OURS_VENV = REPO_ROOT / "target" / "bench-ours-venv"
UPSTREAM_VENV = REPO_ROOT / "target" / "bench-upstream-venv"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="timed runs per tool and scenario (default 7)")
    parser.add_argument(
        "--rs-runs",
        type=int,
        default=3,
        help="cold `.rs` builds per tool of the importer group (default 3; about 30 s each on 2 cores)",
    )
    parser.add_argument(
        "--ours",
        type=Path,
        help=f"our maturin binary (default {TEST_VENV_MATURIN}, else {OURS_VENV}/bin/maturin)",
    )
    parser.add_argument(
        "--install-ours",
        action="store_true",
        help=f"pip install this repo into {OURS_VENV} (3-5 min on a cold cargo cache) and use that",
    )
    parser.add_argument(
        "--upstream", type=Path, default=UPSTREAM_VENV / "bin" / "maturin", help="upstream's maturin binary"
    )
    parser.add_argument(
        "--ours-wheel",
        type=Path,
        help=f"our wheel for the hook and importer groups (default: the newest "
        f"{TEST_WHEEL_DIR}/maturin-*.whl, made by `pip wheel --no-deps -w target/test-wheel .`)",
    )
    parser.add_argument(
        "--only", action="append", choices=sorted(SCENARIOS), help="run only these scenario groups"
    )
    parser.add_argument(
        "--python",
        type=Path,
        default=Path(sys.executable),
        help="the interpreter the fresh target venvs are made from (default: the one running this)",
    )
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    args = parser.parse_args(argv)
    if args.runs < 1 or args.rs_runs < 1:
        parser.error("--runs and --rs-runs must be at least 1")
    return args


def install_ours() -> Path:
    log(f"pip install {REPO_ROOT} into {OURS_VENV} (a release build of the maturin library: minutes)")
    if not (OURS_VENV / "bin" / "python").exists():
        run([sys.executable, "-m", "venv", OURS_VENV])
    python = str(OURS_VENV / "bin" / "python")
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check", str(REPO_ROOT)]
    if subprocess.run(pip, stdout=sys.stderr, check=False).returncode != 0:
        raise BenchError(f"`pip install {REPO_ROOT}` into {OURS_VENV} failed (its output is above)")
    return OURS_VENV / "bin" / "maturin"


def resolve_ours(args: argparse.Namespace) -> Path:
    if args.install_ours:
        return install_ours()
    given: Path | None = args.ours
    if given is not None:
        candidates = [given]
    else:
        candidates = [TEST_VENV_MATURIN, OURS_VENV / "bin" / "maturin"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise BenchError(
        f"our maturin is not at {' or '.join(map(str, candidates))}. Install it first: run scripts/test "
        f"(it does `pip install .` into target/test-venv), or `target/test-venv/bin/pip install .`, or "
        f"`scripts/bench --install-ours` (pip installs the repo into {OURS_VENV}), or pass --ours PATH."
    )


def tool(name: str, maturin: Path) -> Tool:
    if not maturin.is_file():
        raise BenchError(f"{name}: {maturin} does not exist")
    version = run([maturin, "--version"]).stdout.strip()
    return Tool(name, maturin.absolute(), version)


def warn_if_stale(ours: Tool) -> list[str]:
    """Our binary is an install of the repo: say so when the Rust sources changed after it."""
    message = stale_warning(ours.maturin)
    if message is None:
        return []
    log(f"warning: {message}")
    return [message]


def rustc_version() -> str:
    try:
        return run(["rustc", "--version"]).stdout.strip()
    except (CommandFailed, OSError):
        return "unknown"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    group_seconds: dict[str, float] = {}
    try:
        ours = tool(OURS, resolve_ours(args))
        upstream = tool(UPSTREAM, args.upstream)
        if UPSTREAM_VERSION not in upstream.version:
            raise BenchError(
                f"{upstream.maturin} is {upstream.version!r}, expected maturin {UPSTREAM_VERSION}"
            )
        if ours.maturin.resolve() == upstream.maturin.resolve():
            raise BenchError("--ours and --upstream are the same binary")
        log(f"ours:     {ours.maturin} ({ours.version})\nupstream: {upstream.maturin} ({upstream.version})")
        stale = warn_if_stale(ours)

        ctx = Context(
            tools=[ours, upstream],
            runs=args.runs,
            python=args.python,
            work_dir=WORK_DIR,
            ours_wheel=args.ours_wheel,
            rs_runs=args.rs_runs,
        )
        ctx.results.warnings += stale
        for name in args.only or list(SCENARIOS):
            scenario: Callable[[Context], None] = SCENARIOS[name].run_scenarios
            ctx.results.group = name
            group_started = time.perf_counter()
            scenario(ctx)
            group_seconds[name] = round(time.perf_counter() - group_started, 1)
            log(f"[{name}] done in {group_seconds[name]:.0f} s")
    except (BenchError, CommandFailed) as error:
        print(f"bench: error: {error}", file=sys.stderr)
        return 1

    elapsed = time.perf_counter() - started
    output_dir: Path = args.output_dir
    output_dir.mkdir(parents=True, exist_ok=True)
    meta: dict[str, object] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "runs": args.runs,
        "rs_runs": args.rs_runs,
        "scenario_groups": args.only or list(SCENARIOS),
        "tools": {t.name: {"maturin": str(t.maturin), "version": t.version} for t in ctx.tools},
        "host": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "python": run([args.python, "--version"]).stdout.strip(),
            "rustc": rustc_version(),
        },
        "suite_seconds": round(elapsed, 1),
        "group_seconds": group_seconds,
    }
    report.write_json(output_dir / "results.json", ctx.results, meta)
    title = f"maturin-hook vs upstream maturin {UPSTREAM_VERSION}: medians (--runs {args.runs})"
    report.chart(output_dir / "chart.png", ctx.results, ctx.tools, title)
    print(report.table(ctx.results, ctx.tools, args.runs))
    groups = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in group_seconds.items())
    print(f"\nwrote {output_dir / 'results.json'} and {output_dir / 'chart.png'} ({elapsed:.0f} s: {groups})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
