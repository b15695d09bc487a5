"""The suite's outputs: the table on stdout, results.json and the bar chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

from common import OURS, UPSTREAM, Metric, Results, Tool


def ordered(results: Results) -> list[Metric]:
    """Timings first (in the order they were created), then counts."""
    metrics = list(results.metrics.values())
    return [m for m in metrics if m.unit == "s"] + [m for m in metrics if m.unit != "s"]


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit != "s":
        return f"{value:g}"
    if abs(value) < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.3f} s"


def format_ratio(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def format_counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} x{count}" for name, count in counts.items())


def table(results: Results, tools: list[Tool], runs: int) -> str:
    lines = [f"medians of {runs} runs per tool, tools alternating; upstream/ours > 1: ours is faster"]
    for tool in tools:
        lines.append(f"  {tool.name:<9} {tool.maturin}  ({tool.version})")
    lines.append("")
    header = f"{'scenario':<24} {'ours':>10} {'upstream':>10} {'upstream/ours':>14}  n"
    lines += [header, "-" * len(header)]
    for metric in ordered(results):
        n = "" if metric.derived else str(len(metric.samples.get(OURS, [])))
        lines.append(
            f"{metric.name:<24} {format_value(metric.value(OURS), metric.unit):>10} "
            f"{format_value(metric.value(UPSTREAM), metric.unit):>10} {format_ratio(metric.ratio()):>14}  {n}"
        )
    for metric in ordered(results):
        for tool in tools:
            details = metric.details.get(tool.name)
            if isinstance(details, dict) and isinstance(details.get("counts"), dict):
                total = format_value(metric.value(tool.name), metric.unit)
                lines.append(f"{metric.name} {tool.name} ({total}): {format_counts(details['counts'])}")
    if results.warnings:
        lines.append("")
        lines += [f"warning: {warning}" for warning in results.warnings]
    return "\n".join(lines)


def write_json(path: Path, results: Results, meta: Mapping[str, object]) -> None:
    document = {
        "meta": dict(meta),
        "metrics": {metric.name: metric.to_json() for metric in ordered(results)},
        "warnings": results.warnings,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def chart(path: Path, results: Results, tools: list[Tool], title: str) -> None:
    """Grouped bars per metric, ours next to upstream, with upstream/ours above each group."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [
        [m for m in ordered(results) if m.unit == "s"],
        [m for m in ordered(results) if m.unit != "s"],
    ]
    groups = [group for group in groups if group]
    widths = [max(len(group), 1) for group in groups]
    fig, axes = plt.subplots(
        1,
        len(groups),
        figsize=(2.2 * sum(widths) + 2, 5),
        gridspec_kw={"width_ratios": widths},
        squeeze=False,
    )
    colors = {OURS: "#1f77b4", UPSTREAM: "#ff7f0e"}
    bar = 0.8 / max(len(tools), 1)
    for ax, group in zip(axes[0], groups):
        unit = group[0].unit
        for t, tool in enumerate(tools):
            xs, heights = [], []
            for i, metric in enumerate(group):
                value = metric.value(tool.name)
                if value is not None and value > 0:
                    xs.append(i + (t - (len(tools) - 1) / 2) * bar)
                    heights.append(value)
            bars = ax.bar(xs, heights, bar, label=tool.name, color=colors.get(tool.name))
            ax.bar_label(bars, labels=[format_value(h, unit) for h in heights], fontsize=7, padding=2)
        ax.set_xticks(range(len(group)))
        ax.set_xticklabels([metric.name for metric in group], rotation=20, ha="right", fontsize=8)
        if unit == "s":
            ax.set_yscale("log")
            ax.set_ylabel("seconds (median, log scale)")
        else:
            ax.set_ylabel(unit)
        ax.margins(y=0.25)
        for i, metric in enumerate(group):
            ratio = metric.ratio()
            if ratio is not None:
                ax.annotate(
                    f"upstream/ours\n{ratio:.2f}x",
                    xy=(i, 1.0),
                    xycoords=("data", "axes fraction"),
                    ha="center",
                    va="top",
                    fontsize=7,
                )
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
