"""Make manifest entries in a separate process: ``python -m workbench.truth.entries_worker``.

Reads one pickled ``(root, batches)`` from stdin and writes the pickled list of
entry lists to stdout, or the exception that stopped it, for the caller to
raise. ``take_manifest`` starts these for trees of many files (see there why).
It is a module run with ``-m`` rather than a multiprocessing pool so that the
caller's own script is never imported again in a child, and a caller with
threads is never forked.
"""

from __future__ import annotations

import pickle
import sys

from .manifest import entries_of


def main() -> int:
    root, batches = pickle.load(sys.stdin.buffer)
    try:
        result: object = [entries_of(root, batch) for batch in batches]
    except Exception as exc:  # the caller raises it as if it had happened there
        result = exc
    pickle.dump(result, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
