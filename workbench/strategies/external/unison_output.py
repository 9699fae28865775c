"""Reading what ``unison -batch`` (2.52, text mode) says: its summary, the conflicts it skipped, what it did. Pure.

unison has no machine-readable output. What it says is stable text on stderr:

- the summary, ``Synchronization complete at 23:02:15  (2 items transferred, 1 skipped, 0 failed)``
  (``incomplete`` when something failed), or ``Nothing to do: replicas have not changed since last sync.``
  on stdout;
- one line per skipped or failed path under it, ``  skipped: f2 (contents changed on both sides)``;
  a conflict is a skipped path: in batch mode unison leaves both versions where they are;
- one ``[BGN]`` line per action, ``[BGN] Copying a/f from ROOT1 to ROOT2``, ``[BGN] Updating file
  a/f from ROOT1 to ROOT2``, ``[BGN] Deleting a/f from ROOT2``, told apart by the roots the caller knows
  (a path may contain ' from ');
- ``Fatal error: ...`` when it stops (exit code 3), or, when it refuses to go on, a plain line
  saying why (``The root of one of the replicas has been completely emptied.``).

Its exit codes (the manual's 'Exit Code'): 0 all in sync, 1 some paths skipped, 2 non-fatal failures
during transfer, 3 a fatal error or an interruption.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

EXIT_OK, EXIT_SKIPPED, EXIT_FAILURES, EXIT_FATAL = 0, 1, 2, 3

_SUMMARY = re.compile(r"Synchronization (complete|incomplete) at \S+\s+\((\d+) items? transferred, "
                      r"(\d+) skipped, (\d+) failed\)")
_NOTHING = "Nothing to do: replicas have not changed since last sync."
_LISTED = re.compile(r"^\s+(skipped|failed): (.+?)(?: \((.*)\))?\s*$")  # a failure may give no reason
_ACTION = re.compile(r"^\[BGN\] (Copying properties for|Copying|Updating file|Updating|Deleting) (.+)$")
_FATAL = re.compile(r"^Fatal error:?\s*(.*)$")
#: What every run says on stderr; a line that is none of these is unison telling why it stopped.
_ROUTINE = ("Unison ", "Looking for changes", "Reconciling changes", "Propagating updates", "Saving synchronizer",
            "[BGN]", "[END]", "[CONFLICT]", "Synchronization ", "Nothing to do", "Warning: No archive files")


@dataclass(frozen=True)
class Action:
    """One thing unison did: 'copy', 'update', 'properties' or 'delete', of a path, towards a root."""

    verb: str
    path: str
    to_root: str  # the root it wrote to (for a deletion: the one it deleted from)


@dataclass
class UnisonReport:
    transferred: int = 0
    skipped: int = 0
    failed: int = 0
    complete: bool = False  # unison said 'Synchronization complete', or that there was nothing to do
    conflicts: list[dict[str, str]] = field(default_factory=list)  # skipped paths: {path, reason}
    failures: list[dict[str, str]] = field(default_factory=list)  # failed paths: {path, reason}
    actions: list[Action] = field(default_factory=list)
    fatal: str = ""  # why unison stopped, when it did; may be a line of an ordinary run (read it on exit code 3)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["actions"]
        return data

    def paths(self, verb: str, to_root: str) -> list[str]:
        return [a.path for a in self.actions if a.verb == verb and a.to_root == to_root]


_VERBS = {"Copying properties for": "properties", "Copying": "copy", "Updating file": "update",
          "Updating": "update", "Deleting": "delete"}


def parse(stdout: str, stderr: str, roots: tuple[str, str]) -> UnisonReport:
    """Read one run's output; ``roots`` are the two roots as the profile names them."""
    report = UnisonReport()
    for line in (stdout + "\n" + stderr).splitlines():
        if match := _SUMMARY.search(line):
            report.complete = match.group(1) == "complete"
            report.transferred, report.skipped, report.failed = (int(g) for g in match.groups()[1:])
        elif line.strip() == _NOTHING:
            report.complete = True
        elif match := _LISTED.match(line):
            entry = {"path": match.group(2), "reason": match.group(3) or ""}
            (report.conflicts if match.group(1) == "skipped" else report.failures).append(entry)
        elif match := _ACTION.match(line):
            action = _action(_VERBS[match.group(1)], match.group(2), roots)
            if action is not None:
                report.actions.append(action)
        elif (match := _FATAL.match(line.strip())) and not report.fatal:
            report.fatal = match.group(1) or line.strip()
    if not report.fatal:
        report.fatal = next((line.strip() for line in stderr.splitlines() if line.strip()
                             and not line.startswith((" ", "\t")) and not line.startswith(_ROUTINE)), "")
    return report


def _action(verb: str, rest: str, roots: tuple[str, str]) -> Action | None:
    """'a/f from ROOT1 to ROOT2' (or 'a/f from ROOT' for a deletion) -> the path and the root written to."""
    if verb == "delete":
        for root in roots:
            if rest.endswith(f" from {root}"):
                return Action(verb, rest[: -len(f" from {root}")], root)
        return None
    for here, there in (roots, roots[::-1]):
        tail = f" from {here} to {there}"
        if rest.endswith(tail):
            return Action(verb, rest[: -len(tail)], there)
    return None
