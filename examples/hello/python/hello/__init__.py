"""A mixed Rust/Python package: `greet` is Rust, `main` is Python."""

import sys

from hello._hello import greet

__all__ = ["greet", "main"]


def main() -> None:
    print(greet(sys.argv[1] if len(sys.argv) > 1 else "world"))
