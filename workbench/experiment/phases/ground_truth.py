"""The ground truth while the hours pass: the manifest of the source's true state, taken as lazily as is safe."""

from __future__ import annotations

from ...errors import OperationFailed
from ...truth.manifest import Manifest, take_manifest
from ..machine import Machine


class GroundTruth:
    """The whole root tree's manifest now.

    Taken whole after files changed; after a quiet hour only the entries said to
    have moved (the workload's own state file) are taken again.
    """

    def __init__(self, machine: Machine) -> None:
        self._machine = machine
        self._manifest: Manifest | None = None
        self._stale: set[str] = set()

    def changed(self) -> None:
        """Files changed (the workload, a two-way sync): take the whole tree next time."""
        self._manifest = None

    def touched(self, path: str) -> None:
        """Only this entry moved: take it again next time."""
        self._stale.add(path)

    def now(self) -> Manifest:
        if self._manifest is None:
            manifest = self._machine.manifest()
            if manifest is None:
                raise OperationFailed("the source disk could not be read while it should be healthy")
            self._manifest = manifest
        elif self._stale:
            fresh = take_manifest(self._machine.mount(), include=sorted(self._stale))
            self._manifest = Manifest(entries={**self._manifest.entries, **fresh.entries})
        self._stale.clear()
        return self._manifest
