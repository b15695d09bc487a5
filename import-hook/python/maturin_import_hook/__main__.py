"""`python -m maturin_import_hook site|cache|version …`: the same commands as
`maturin import-hook …`, run in-process for this interpreter's environment."""

import sys

from maturin_import_hook import _native

if __name__ == "__main__":
    sys.exit(_native.import_hook_cli(sys.argv[1:], sys.executable, sys.prefix))
