"""What `MaturinSettings.default()` passes to `maturin develop`, known without importing the
settings module: dataclasses and argparse cost milliseconds on the path of an up-to-date import."""

DEFAULT_DEVELOP_ARGS = ("--color", "always")
