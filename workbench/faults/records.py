"""What a fault injector damaged: the record every injector returns, and the places it works on (pure data).

The record is for the scorer and the tests, never for recovery: a user does
not get to read it. It says exactly what was touched, so a test can compare
the bytes before and after at the recorded places and find nothing changed
anywhere else.

Determinism: the same seed on the same disk state gives the same record.
``outcome()`` is the part to compare: it leaves out ``time`` (the wall clock,
unless a simulated one is passed) and ``target`` (for file-level faults, a
temporary mount point). Byte offsets, bits, files, key and nonces remain.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import blake3


@dataclass(frozen=True)
class ByteRange:
    """``length`` bytes at ``offset`` in ``path`` (the disk image, or a target file)."""

    offset: int
    length: int
    path: str = ""
    changed_bytes: int | None = None  # how many of them really changed (None: not measured)

    @property
    def end(self) -> int:
        return self.offset + self.length


@dataclass(frozen=True)
class BitFlip:
    """One flipped bit: ``byte ^= 1 << bit`` at ``offset`` in ``path``."""

    offset: int
    bit: int
    path: str = ""
    file: str = ""  # the file whose data lives there, when known
    file_offset: int | None = None  # where in that file


@dataclass(frozen=True)
class Extent:
    """``length`` bytes of a file at ``file_offset``, stored at ``image_offset`` in the disk image."""

    file_offset: int
    image_offset: int
    length: int


@dataclass
class FaultRecord:
    kind: str
    seed: int
    time: str  # ISO 8601, simulated or wall-clock time of the injection
    target: str  # the disk image, folder or command the fault struck
    files: list[str] = field(default_factory=list)  # files damaged, deleted or encrypted (their original paths)
    ranges: list[ByteRange] = field(default_factory=list)
    bits: list[BitFlip] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)  # filesystem blocks touched, when they are known
    key: str | None = None  # hex key material (ransomware)
    details: dict = field(default_factory=dict)  # kind-specific facts, JSON-friendly

    def to_json(self) -> dict:
        return asdict(self)

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True)

    def outcome(self) -> dict:
        """What was damaged, without when and through which mount: equal for equal seeds on equal disk states."""
        data = self.to_json()
        data.pop("time")
        data.pop("target")
        return data

    @classmethod
    def from_json(cls, data: dict) -> FaultRecord:
        return cls(
            kind=data["kind"],
            seed=data["seed"],
            time=data["time"],
            target=data["target"],
            files=list(data.get("files", [])),
            ranges=[ByteRange(**r) for r in data.get("ranges", [])],
            bits=[BitFlip(**b) for b in data.get("bits", [])],
            blocks=list(data.get("blocks", [])),
            key=data.get("key"),
            details=dict(data.get("details", {})),
        )


def timestamp(at: datetime | None = None) -> str:
    """The injection time: the scenario's simulated clock when given, else now (UTC)."""
    return (at or datetime.now(UTC)).isoformat()


def rng(kind: str, seed: int) -> random.Random:
    """A PRNG for one fault kind and seed; string seeding is stable across runs and platforms."""
    return random.Random(f"workbench-fault:{kind}:{seed}")


def random_bytes(kind: str, seed: int, size: int, *, salt: str = "") -> bytes:
    """``size`` reproducible random bytes (BLAKE3 in XOF mode, keyed by kind, seed and salt)."""
    return blake3.blake3(f"workbench-fault:{kind}:{seed}:{salt}".encode()).digest(length=size)
