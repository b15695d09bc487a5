"""`maturin develop --with-hook --watch` (ours only: upstream has no watcher), on a copy of
tests/fixtures/pyo3-mixed in the hook group's setup for ours (a fresh venv with our wheel).

- watch-save-to-installed: change `const VALUE` in src/lib.rs, then the time until the watcher
  says the new build is installed (its `✅ Rebuilt` line, polled every 2 ms); the details have
  the median of cargo's own `Finished … in Xs` for the same builds, and
  watch-overhead-beyond-cargo is the difference of the medians (it includes the watcher's quiet
  period, which gathers an editor's burst of writes into one build).
- watch-import-after-build: the first `import pyo3_mixed` after that line (in-process time), which
  must give the new value without building; watch-import-fresh: the import after it.

The import after an edit without the watcher is the hook group's hook-import-edit (ours and
upstream's).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from common import OURS, BenchError, Context, ensure_wheelhouse, find_wheel, log, median
from hook import Setup, make_setup

REBUILT = "✅ Rebuilt pyo3-mixed in"
CARGO_FINISHED = re.compile(r"Finished `[^`]+` profile \[[^\]]+\] target\(s\) in ([0-9.]+)(m?s)")


class RunningWatcher:
    def __init__(self, ws: Setup) -> None:
        self.log = ws.root / "watch.log"
        self.process = subprocess.Popen(
            [ws.tool.maturin, "develop", "--with-hook", "--watch", "-m", ws.project / "Cargo.toml"],
            cwd=ws.root,
            env=ws.env(),
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.seen = 0
        self.wait_for("👀 Watching the", timeout=600)

    def wait_for(self, text: str, timeout: float = 120) -> str:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            new = self.log.read_text(errors="replace")[self.seen :]
            if text in new:
                self.seen += len(new)
                return new
            if self.process.poll() is not None:
                break
            time.sleep(0.002)
        raise BenchError(f"the watcher did not print {text!r}:\n{self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            self.process.wait(timeout=60)


def cargo_seconds(output: str) -> float:
    match = CARGO_FINISHED.search(output)
    if match is None:
        raise BenchError(f"no cargo `Finished` line in the watcher's output:\n{output}")
    value = float(match.group(1))
    return value / 1000 if match.group(2) == "ms" else value


def run_scenarios(ctx: Context) -> None:
    ours = ctx.tool(OURS)
    ws = make_setup(ctx, ours, find_wheel(ctx), ensure_wheelhouse(ctx))
    log("[watch] ours: maturin develop --with-hook --watch, warm-up edit")
    watcher = RunningWatcher(ws)
    try:
        ws.edit()
        watcher.wait_for(REBUILT)
        save = ctx.results.metric(
            "watch-save-to-installed", "change a literal in src/lib.rs, until the watcher installed the build"
        )
        after = ctx.results.metric(
            "watch-import-after-build", "the first `import pyo3_mixed` after the watcher's build (in-process)"
        )
        fresh = ctx.results.metric("watch-import-fresh", "the import after that one (in-process)")
        cargo: list[float] = []
        log(f"[watch] {ctx.runs} edits")
        for index in range(ctx.runs):
            saved = time.perf_counter()
            value = ws.edit()
            output = watcher.wait_for(REBUILT)
            save.add(OURS, time.perf_counter() - saved)
            cargo.append(cargo_seconds(output))
            for metric in (after, fresh):
                result = ws.import_project()
                ws.expect(result, value, f"watch edit #{index + 1}")
                ws.expect_fresh(result, f"{metric.name} #{index + 1}")
                metric.add(OURS, result.seconds)
        save.details[OURS] = {"cargo_finished_median_s": median(cargo)}
        overhead = ctx.results.metric(
            "watch-overhead-beyond-cargo",
            "median watch-save-to-installed minus the median of cargo's own `Finished` time",
            derived=True,
        )
        overhead.add(OURS, median(save.samples[OURS]) - median(cargo))
    finally:
        watcher.stop()
    ctx.results.context["watch"] = f"{ours.version} in {Path(ws.venv)}"
