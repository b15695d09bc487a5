"""Drop-in means drop-in: the differences from upstream maturin and maturin-import-hook that a user
of either would notice, each found by running upstream's own scenarios against this wheel."""

from __future__ import annotations

from pathlib import Path

from support import CopyFixture, Venv, python, replace_in, run

INSTALL = "import maturin_import_hook\nmaturin_import_hook.install()\n"


def test_a_cffi_enum_with_a_repr_builds_and_works(copy_fixture: CopyFixture, new_venv: Venv) -> None:
    """The fixture's `#[repr(u8)] enum Colour` gets a header cffi can parse (cbindgen <= 0.29.2)."""
    source = copy_fixture("cffi")
    new_venv.pip("install", "--quiet", "cffi")
    new_venv.maturin("develop", "-m", source / "Cargo.toml")
    result = python(new_venv, "import cffi_fixture as f; print(f.lib.colour_code(f.lib.Green))")
    assert result.stdout.strip() == "2", result.describe()


def test_two_projects_with_one_script_name_do_not_rebuild_each_other(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    mixed = copy_fixture("pyo3-mixed")
    pure = copy_fixture("pyo3-pure")
    # the pure project installs a console script of the same name as the mixed one's
    replace_in(
        pure / "pyproject.toml",
        'requires-python = ">=3.8"',
        'requires-python = ">=3.8"\n\n[project.scripts]\npyo3-mixed-cli = "pyo3_pure:get_value"',
    )
    hook_venv.maturin("develop", "--with-hook", "-m", mixed / "Cargo.toml")
    hook_venv.maturin("develop", "--with-hook", "-m", pure / "Cargo.toml")
    for _ in range(2):
        for code in ("import pyo3_mixed", "import pyo3_pure"):
            result = python(hook_venv, code)
            assert result.stderr == "", f"last install wins, no rebuild loop:\n{result.describe()}"


def test_deleted_generated_bindings_are_rebuilt(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    """A mixed uniffi project: maturin writes the bindings module next to the package's own code."""
    source = copy_fixture("uniffi")
    package = source / "python" / "uniffi_fixture"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("from .uniffi_fixture import *  # noqa: F403\n")
    replace_in(
        source / "pyproject.toml", 'bindings = "uniffi"', 'bindings = "uniffi"\npython-source = "python"'
    )
    hook_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml")
    code = "import uniffi_fixture; print(uniffi_fixture.get_value())"
    assert python(hook_venv, code).stdout.strip() == "55"
    # maturin puts the generated bindings into a package of their own, next to the extension
    (package / "uniffi_fixture" / "uniffi_fixture.py").unlink()
    result = python(hook_venv, code)
    assert result.stdout.strip() == "55", result.describe()
    assert "uniffi_fixture.py was deleted" in result.stderr


def test_a_stray_rs_file_does_not_shadow_an_up_to_date_editable_project(
    copy_fixture: CopyFixture, hook_venv: Venv, tmp_path: Path
) -> None:
    source = copy_fixture("pyo3-pure")
    hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "pyo3_pure.rs").write_text("this is not even Rust\n")
    code = INSTALL + "import pyo3_pure; print(pyo3_pure.get_value(), pyo3_pure.__file__)"
    for _ in range(2):  # the first import confirms the settings, the second is the light path
        result = run([hook_venv.python, "-c", code], cwd=scripts, env=hook_venv.env())
        value, origin = result.stdout.split()
        assert value == "11" and "site-packages" in origin, result.describe()


def test_a_project_that_becomes_mixed_imports_in_the_process_that_rebuilt_it(
    copy_fixture: CopyFixture, hook_venv: Venv
) -> None:
    source = copy_fixture("pyo3-pure")
    hook_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml")
    package = source / "python" / "pyo3_pure"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "from .pyo3_pure import get_value\n\ndef mixed() -> str:\n    return 'mixed'\n"
    )
    replace_in(
        source / "pyproject.toml",
        'requires-python = ">=3.8"',
        'requires-python = ">=3.8"\n\n[tool.maturin]\n'
        'python-source = "python"\nmodule-name = "pyo3_pure.pyo3_pure"',
    )
    result = python(hook_venv, "import pyo3_pure; print(pyo3_pure.mixed(), pyo3_pure.get_value())")
    assert result.stdout.split() == ["mixed", "11"], result.describe()
    assert 'building "pyo3_pure"' in result.stderr


def test_a_build_with_warnings_logs_them_once_at_warning(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    source = copy_fixture("pyo3-pure")
    hook_venv.maturin("develop", "--with-hook", "-m", source / "Cargo.toml")
    replace_in(
        source / "src" / "lib.rs", "fn get_value() -> i64 {", "fn get_value() -> i64 {\n    let unused = 1;"
    )
    result = python(hook_venv, "import pyo3_pure")
    assert 'maturin_import_hook [WARNING] build of "pyo3_pure" succeeded with warnings:' in result.stderr
    assert result.stderr.count("unused variable: `unused`") == 1, result.describe()


def test_a_crate_with_pyo3_introspection_gets_stubs(copy_fixture: CopyFixture, hook_venv: Venv) -> None:
    """As upstream's main: the project importer builds with --generate-stubs when the crate enables
    pyo3's `experimental-inspect`."""
    source = copy_fixture("pyo3-inspect")
    hook_venv.maturin("develop", "-m", source / "Cargo.toml")
    stub = hook_venv.site_packages / "pyo3_inspect" / "__init__.pyi"
    assert not stub.exists()
    result = python(hook_venv, INSTALL + "import pyo3_inspect; print(pyo3_inspect.get_value())")
    assert result.stdout.strip() == "88", result.describe()
    assert stub.is_file(), result.describe()


def test_the_default_file_searcher_takes_lists_and_skips_marked_and_pixi_dirs(tmp_path: Path) -> None:
    from maturin_import_hook.project_importer import DefaultProjectFileSearcher

    project = tmp_path / "project"
    for name in (
        "src/lib.rs",
        "src/lib.pyi",
        ".pixi/env/x.rs",
        "marked/CACHEDIR.TAG",
        "marked/y.rs",
        "pkg/m.so",
    ):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text("")
    searcher = DefaultProjectFileSearcher()
    sources = sorted(
        p.relative_to(project).as_posix() for p in searcher.get_source_paths(project, [], [project / "pkg"])
    )
    assert sources == ["src/lib.rs"]
    # a single path, as 0.3.0 passed it, still works
    assert sorted(searcher.get_source_paths(project, [], project / "pkg")) == [project / "src" / "lib.rs"]
    installed = sorted(
        p.name for p in searcher.get_installation_paths([project / "pkg", project / "src" / "lib.rs"])
    )
    assert installed == ["lib.rs", "m.so"]
