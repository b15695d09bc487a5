"""The suite's outputs: the table on stdout, results.json and the bar chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from common import OURS, UPSTREAM, Metric, Results, Tool


def groups(results: Results) -> dict[str, list[Metric]]:
    """The metrics per scenario group (in the order the groups ran), timings first (in the order
    they were created), then counts."""
    grouped: dict[str, list[Metric]] = {}
    for metric in results.metrics.values():
        grouped.setdefault(metric.group, []).append(metric)
    return {
        group: [m for m in metrics if m.unit == "s"] + [m for m in metrics if m.unit != "s"]
        for group, metrics in grouped.items()
    }


def ordered(results: Results) -> list[Metric]:
    """Every metric, group by group, timings before counts."""
    return [metric for metrics in groups(results).values() for metric in metrics]


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit != "s":
        return f"{value:g}"
    if abs(value) < 0.001:
        return f"{value * 1000:.2f} ms"
    if abs(value) < 0.01:
        return f"{value * 1000:.1f} ms"
    if abs(value) < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.3f} s"


def format_ratio(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def format_counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} x{count}" for name, count in counts.items())


def table(results: Results, tools: list[Tool], runs: int) -> str:
    lines = [
        f"medians per tool (--runs {runs}; n: the samples per tool, more for the cheap scenarios, "
        "fewer for the cold builds), tools alternating; upstream/ours > 1: ours is faster"
    ]
    for tool in tools:
        lines.append(f"  {tool.name:<9} {tool.maturin}  ({tool.version})")
    for key, value in results.context.items():
        lines.append(f"  {key}: {value}")
    lines.append("")
    width = max([24] + [len(metric.name) for metric in results.metrics.values()])
    header = f"{'scenario':<{width}} {'ours':>10} {'upstream':>10} {'upstream/ours':>14}  n"
    lines += [header, "-" * len(header)]
    for group, metrics in groups(results).items():
        if len(results.metrics) > len(metrics):  # more than one group: name each
            lines.append(f"[{group}]")
        for metric in metrics:
            n = "" if metric.derived else str(len(metric.samples.get(OURS, [])))
            ours, upstream = (format_value(metric.value(tool), metric.unit) for tool in (OURS, UPSTREAM))
            lines.append(
                f"{metric.name:<{width}} {ours:>10} {upstream:>10} {format_ratio(metric.ratio()):>14}  {n}"
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
        "context": results.context,
        "metrics": {metric.name: metric.to_json() for metric in ordered(results)},
        "warnings": results.warnings,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def chart(path: Path, results: Results, tools: list[Tool], title: str) -> None:
    """One row per scenario group: grouped bars per metric, ours next to upstream, with
    upstream/ours above each group; times on a log scale, counts on a linear one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = []
    for group, metrics in groups(results).items():
        parts = [[m for m in metrics if m.unit == "s"], [m for m in metrics if m.unit != "s"]]
        rows.append((group, [part for part in parts if part]))
    row_width = max((sum(len(part) for part in parts) for _, parts in rows), default=1)
    fig = plt.figure(figsize=(1.8 * row_width + 2.5, 5 * len(rows)))
    subfigs: list[Any] = list(fig.subfigures(len(rows), 1, squeeze=False)[:, 0]) if rows else []
    for subfig, (group, parts) in zip(subfigs, rows):
        axes = subfig.subplots(
            1, len(parts), gridspec_kw={"width_ratios": [len(part) for part in parts]}, squeeze=False
        )
        for ax, part in zip(axes[0], parts):
            _bars(ax, part, tools)
        if len(rows) > 1:
            subfig.suptitle(f"[{group}]", fontsize=9, x=0.01, ha="left")
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def _bars(ax: Any, metrics: list[Metric], tools: list[Tool]) -> None:
    colors = {OURS: "#1f77b4", UPSTREAM: "#ff7f0e"}
    bar = 0.8 / max(len(tools), 1)
    unit = metrics[0].unit
    log_scale = unit == "s"
    for t, tool in enumerate(tools):
        xs, heights, flat = [], [], []
        for i, metric in enumerate(metrics):
            value = metric.value(tool.name)
            x = i + (t - (len(tools) - 1) / 2) * bar
            if value is not None and (value > 0 or not log_scale):
                xs.append(x)
                heights.append(value)
            elif value is not None:  # nothing to draw on a log scale: say so at the bottom
                flat.append((x, value))
        bars = ax.bar(xs, heights, bar, label=tool.name, color=colors.get(tool.name))
        ax.bar_label(bars, labels=[format_value(h, unit) for h in heights], fontsize=7, padding=2)
        for x, value in flat:
            ax.annotate(
                format_value(value, unit),
                xy=(x, 0.0),
                xycoords=("data", "axes fraction"),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
                rotation=90,
                color=colors.get(tool.name),
            )
    ax.set_xticks(range(len(metrics)))
    ax.set_xticklabels([metric.name for metric in metrics], rotation=20, ha="right", fontsize=8)
    if log_scale:
        ax.set_yscale("log")
        ax.set_ylabel("seconds (median, log scale)")
    else:
        ax.set_ylabel(unit)
    ax.margins(y=0.25)
    for i, metric in enumerate(metrics):
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
