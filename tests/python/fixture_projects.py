"""What each project in tests/fixtures is and how to check that it works once installed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FixtureProject:
    name: str
    """Directory under tests/fixtures."""
    manifest: str
    """Cargo.toml of the crate maturin builds, relative to the fixture directory."""
    check_code: str | None
    """Python code that prints `expected` once the project is installed (None for bin)."""
    expected: str
    script: str | None = None
    """A console script the install provides, which prints `script_output`."""
    script_output: str | None = None
    build_requires: tuple[str, ...] = ()
    """Python packages the build itself needs in the target environment."""

    @property
    def id(self) -> str:
        return self.name


PROJECTS = [
    FixtureProject("pyo3-pure", "Cargo.toml", "import pyo3_pure; print(pyo3_pure.get_value())", "11"),
    FixtureProject(
        "pyo3-mixed",
        "Cargo.toml",
        "import pyo3_mixed; print(pyo3_mixed.get_value(), pyo3_mixed.get_helper_value(),"
        " pyo3_mixed.get_message().strip(), pyo3_mixed.get_build_value())",
        "22 100 hello from data 7",
        script="pyo3-mixed-cli",
        script_output="pyo3-mixed says 22",
    ),
    FixtureProject("pyo3-abi3", "Cargo.toml", "import pyo3_abi3; print(pyo3_abi3.get_value())", "33"),
    FixtureProject(
        "cffi",
        "Cargo.toml",
        "import cffi_fixture; print(cffi_fixture.lib.get_value())",
        "44",
        build_requires=("cffi",),
    ),
    FixtureProject("uniffi", "Cargo.toml", "import uniffi_fixture; print(uniffi_fixture.get_value())", "55"),
    FixtureProject(
        "bin",
        "Cargo.toml",
        "import bin_fixture; print(bin_fixture.run())",
        "bin-fixture 66",
        script="bin-fixture",
        script_output="bin-fixture 66",
    ),
    FixtureProject(
        "workspace", "py/Cargo.toml", "import workspace_py; print(workspace_py.get_value())", "77"
    ),
]

PROJECTS_BY_NAME = {project.name: project for project in PROJECTS}
