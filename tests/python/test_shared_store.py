"""The shared store of built extensions on real storage servers, started by the tests on
127.0.0.1 and stopped after them: an S3-compatible server (moto), a WebDAV server (wsgidav), a
directory, and a read-only web server. CI publishes the build of a commit with `maturin
develop --with-hook`; a clone of that commit, on a machine without cargo, installs it from
the store and imports it without building."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
from support import FIXTURES_DIR, MATURIN, Result, Venv, copy_project, make_hook_venv, python, run

GIT = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(command: list[str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """Starts a server and waits until it accepts connections on `port`."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{command[0]} exited at start:\n{log.read_text()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"{command} did not listen on port {port}:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """An S3 server (moto) with the bucket `builds`; the environment that points at it."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "server.log"
    process = start_server(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port, log
    )
    endpoint = f"http://127.0.0.1:{port}"
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/builds", method="PUT"))
    yield {
        "MATURIN_IMPORT_HOOK_STORE": "s3://builds/maturin",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
    }
    stop(process)


@pytest.fixture(scope="module")
def webdav_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("webdav")
    port = free_port()
    wsgidav = Path(sys.executable).with_name("wsgidav")
    command = [
        str(wsgidav),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--root",
        str(root),
        "--auth",
        "anonymous",
    ]
    process = start_server(command, port, root.parent / "webdav.log")
    yield {"MATURIN_IMPORT_HOOK_STORE": f"webdav://127.0.0.1:{port}/store"}
    stop(process)


@pytest.fixture
def directory_store(tmp_path: Path) -> dict[str, str]:
    return {"MATURIN_IMPORT_HOOK_STORE": (tmp_path / "shared store").as_uri()}


def without_cargo() -> str:
    """A PATH with this system's tools but no cargo (rustup puts it in ~/.cargo/bin)."""
    path = os.pathsep.join(
        entry for entry in os.environ["PATH"].split(os.pathsep) if not (Path(entry) / "cargo").exists()
    )
    assert shutil.which("cargo", path=path) is None
    return path


class Project:
    """A git repository of the mixed fixture, as CI and a colleague have it."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.origin = copy_project(FIXTURES_DIR / "pyo3-mixed", tmp_path / "origin")
        (self.origin / ".gitignore").write_text("*.so\n__pycache__/\ntarget/\n")
        run([*GIT, "init", "-q", "-b", "main"], cwd=self.origin)
        run([*GIT, "add", "-A"], cwd=self.origin)
        run([*GIT, "commit", "-q", "-m", "A"], cwd=self.origin)

    def env(self, venv: Venv, name: str, store: dict[str, str], **extra: str) -> dict[str, str]:
        """`venv` activated, with a build cache (and local store) of its own named `name`."""
        return venv.env(MATURIN_BUILD_DIR=str(self.tmp / f"build-{name}"), **store, **extra)

    def develop(self, venv: Venv, source: Path, env: dict[str, str]) -> Result:
        return run([MATURIN, "develop", "--with-hook", "-m", source / "Cargo.toml"], env=env)


GET = "import pyo3_mixed; print(pyo3_mixed.get_value(), pyo3_mixed.get_helper_value())"


def publish_then_install_elsewhere_without_cargo(tmp_path: Path, store: dict[str, str]) -> None:
    project = Project(tmp_path)
    ci = make_hook_venv(tmp_path / "ci-venv")
    published = project.develop(ci, project.origin, project.env(ci, "ci", store))
    assert "Published the build to" in published.stderr, published.describe()

    clone = tmp_path / "a colleague's clone"
    run([*GIT, "clone", "-q", str(project.origin), str(clone)])
    laptop = make_hook_venv(tmp_path / "laptop-venv")
    env = project.env(laptop, "laptop", store, PATH=without_cargo())
    installed = run([MATURIN, "develop", "--with-hook", "-m", clone / "Cargo.toml"], env=env)
    assert "Restored" in installed.stderr, installed.describe()
    started = time.perf_counter()
    result = python(laptop, GET, env=env)
    seconds = time.perf_counter() - started
    assert (result.stdout.strip(), result.stderr) == ("22 100", ""), result.describe()
    print(f"first import of the restored install: {seconds:.3f}s")
    assert str(clone) in python(laptop, "import pyo3_mixed; print(pyo3_mixed.__file__)", env=env).stdout


def test_a_clone_installs_from_the_s3_store_without_cargo(tmp_path: Path, s3_server: dict[str, str]) -> None:
    publish_then_install_elsewhere_without_cargo(tmp_path, s3_server)


def test_a_clone_installs_from_the_webdav_store_without_cargo(
    tmp_path: Path, webdav_server: dict[str, str]
) -> None:
    publish_then_install_elsewhere_without_cargo(tmp_path, webdav_server)


def test_a_clone_installs_from_a_shared_directory_without_cargo(
    tmp_path: Path, directory_store: dict[str, str]
) -> None:
    publish_then_install_elsewhere_without_cargo(tmp_path, directory_store)


def test_a_read_only_web_server_serves_the_store(tmp_path: Path, directory_store: dict[str, str]) -> None:
    """CI publishes to a directory; a web server serves it read-only; a clone installs from it
    and publishes nothing back."""
    project = Project(tmp_path)
    ci = make_hook_venv(tmp_path / "ci-venv")
    project.develop(ci, project.origin, project.env(ci, "ci", directory_store))
    served = tmp_path / "shared store"  # the directory of `directory_store`
    port = free_port()
    server = start_server(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(served)],
        port,
        tmp_path / "http.log",
    )
    try:
        clone = tmp_path / "clone"
        run([*GIT, "clone", "-q", str(project.origin), str(clone)])
        laptop = make_hook_venv(tmp_path / "laptop-venv")
        store = {"MATURIN_IMPORT_HOOK_STORE": f"http://127.0.0.1:{port}"}
        env = project.env(laptop, "laptop", store, PATH=without_cargo())
        installed = run([MATURIN, "develop", "--with-hook", "-m", clone / "Cargo.toml"], env=env)
        assert "Restored" in installed.stderr and "Published" not in installed.stderr, installed.describe()
        assert python(laptop, GET, env=env).stdout.strip() == "22 100"
    finally:
        stop(server)


def test_an_unreachable_store_costs_a_bounded_wait_and_the_build_runs(tmp_path: Path) -> None:
    project = Project(tmp_path)
    venv = make_hook_venv(tmp_path / "venv")
    # a port nobody listens on, and a server that accepts but never answers
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    try:
        for url in ("s3://builds", f"webdav://127.0.0.1:{silent.getsockname()[1]}/store"):
            store = {"MATURIN_IMPORT_HOOK_STORE": url, "MATURIN_IMPORT_HOOK_STORE_TIMEOUT": "1"}
            if url.startswith("s3"):
                store["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}"
            env = project.env(venv, url.split(":")[0], store)
            started = time.perf_counter()
            result = project.develop(venv, project.origin, env)
            seconds = time.perf_counter() - started
            assert "cannot be used" in result.stderr and "building without it" in result.stderr, (
                result.describe()
            )
            assert python(venv, GET, env=env).stdout.strip() == "22 100"
            print(f"{url}: develop with an unreachable store took {seconds:.1f}s")
    finally:
        silent.close()
