"""The guide's sample outputs are what the commands print: the tutorial's steps are run on the
bundled example, and every line of each block marked `<!-- checked: NAME -->` must appear, in
order, in the output of that step (placeholders such as paths, versions and timings match
anything of their kind; `...` lines stand for any lines)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from support import MATURIN, REPO_ROOT, Venv, python, replace_in, run

TUTORIAL = REPO_ROOT / "guide" / "src" / "tutorial.md"

# What a sample line may say (a regular expression over the sample) in place of what this
# machine prints (a regular expression over the output).
PLACEHOLDERS = [
    (r"\d+ inputs checked in [0-9.]+µs", r"\d+ inputs checked in [0-9.]+.?s"),
    (r"/home/you/venvs/hook", r"\S+"),
    (r"/home/you/hello", r"\S+"),
    (r"CPython 3\.11", r"CPython 3\.\d+"),
    (r"cp311", r"cp3\d+"),
    (r"v0\.27\.2", r"v[0-9.]+"),
    (r"develop-[0-9a-f]{16}", r"develop-[0-9a-f]{16}"),
    (r"\d+\.\d+s\b", r"[0-9.]+m?s"),
]
_ANY_PLACEHOLDER = re.compile("|".join(f"(?:{sample})" for sample, _ in PLACEHOLDERS))


def checked_blocks(markdown: Path) -> dict[str, list[str]]:
    blocks: dict[str, list[str]] = {}
    pattern = r"<!-- checked: ([a-z-]+)[^>]*-->\n```[a-z]*\n(.*?)```"
    for name, body in re.findall(pattern, markdown.read_text(), re.DOTALL):
        blocks[name] = [line for line in body.splitlines() if line.strip() and not line.startswith("$ ")]
    return blocks


def line_pattern(sample: str) -> re.Pattern[str]:
    parts = []
    position = 0
    for match in _ANY_PLACEHOLDER.finditer(sample):
        parts.append(re.escape(sample[position : match.start()]))
        parts.append(next(output for said, output in PLACEHOLDERS if re.fullmatch(said, match.group())))
        position = match.end()
    parts.append(re.escape(sample[position:]))
    return re.compile("".join(parts))


def assert_shows(name: str, sample: list[str], printed: str) -> None:
    lines = printed.splitlines()
    position = 0
    for wanted in sample:
        if wanted.strip() == "...":
            continue
        pattern = line_pattern(wanted)
        while position < len(lines) and not pattern.fullmatch(lines[position]):
            position += 1
        assert position < len(lines), f"block {name!r}: {wanted!r} is not printed (in order) in:\n{printed}"
        position += 1


def test_tutorial_sample_outputs_are_what_the_commands_print(hook_venv: Venv, tmp_path: Path) -> None:
    blocks = checked_blocks(TUTORIAL)
    assert set(blocks) == {"develop", "develop-again", "develop-with-hook", "import-after-edit"}
    project = tmp_path / "hello"
    shutil.copytree(REPO_ROOT / "examples" / "hello", project, ignore=shutil.ignore_patterns("target"))

    def develop(*args: str) -> str:
        result = run([MATURIN, "develop", *args], cwd=project, env=hook_venv.env())
        return result.stdout + result.stderr

    assert_shows("develop", blocks["develop"], develop())
    assert_shows("develop-again", blocks["develop-again"], develop())
    replace_in(project / "src" / "lib.rs", "Hello, {name}!", "Hi, {name}!")
    develop()
    assert_shows("develop-with-hook", blocks["develop-with-hook"], develop("--with-hook"))
    replace_in(project / "src" / "lib.rs", "Hi, {name}!", "Hey, {name}!")
    result = python(hook_venv, 'import hello; print(hello.greet("Python"))')
    assert_shows("import-after-edit", blocks["import-after-edit"], result.stderr + result.stdout)


def test_a_sample_line_that_is_not_printed_is_caught() -> None:
    sample = ["🛠 Installed hello-0.1.0", "✏️ Setting installed package as editable"]
    try:
        assert_shows("made up", sample, "🛠 Installed hello-0.1.0\n")
    except AssertionError as error:
        assert "Setting installed package as editable" in str(error)
    else:
        raise AssertionError("a line the command does not print passed the check")
