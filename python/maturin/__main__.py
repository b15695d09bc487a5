"""`python -m maturin …` runs the `maturin` binary installed with this package."""

import os
import subprocess
import sys

from maturin import find_maturin_binary


def main() -> None:
    try:
        binary = find_maturin_binary()
    except RuntimeError as error:
        sys.stderr.write(f"{error}\n")
        sys.exit(1)
    if sys.platform == "win32":
        sys.exit(subprocess.call([binary, *sys.argv[1:]]))
    os.execv(binary, [binary, *sys.argv[1:]])


if __name__ == "__main__":
    main()
