"""Writing and reading a results folder: ``results.csv``, ``results.parquet`` and ``run.json``.

``run.json`` is the run record: its ``format_version`` says how to read the
folder, and ``upgrade`` brings older records up to date (as asv does), so
old results keep opening. Rows are appended as cells finish, so a run that
crashes part-way keeps what it finished.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import UsageError

FORMAT_VERSION = 1
TOOLS = {
    "sfdisk": ["sfdisk", "--version"], "mkfs.ext4": ["mke2fs", "-V"], "mkfs.fat": ["mkfs.fat", "--help"],
    "mtools": ["mcopy", "--version"], "btrfs": ["btrfs", "--version"], "zstd": ["zstd", "--version"],
}


@dataclass
class RunRecord:
    """What a run was asked to do and what it ran on.

    ``data_size_bytes`` may be given as None (the profile's default): the record
    resolves it, and the source disk's size, to the bytes the cells really use.
    """

    profile: str
    data_size_bytes: int | None
    seed: int
    repeat: int
    strategies: list[str]
    scenarios: list[str]
    schedules: dict[str, str] = field(default_factory=dict)
    disk_size_bytes: int | None = None
    started: str = ""
    finished: str = ""
    format_version: int = FORMAT_VERSION
    versions: dict[str, str] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)
    failed_cells: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.data_size_bytes is not None and self.disk_size_bytes is not None:
            return  # a record read back: never look up the profile (its file may have moved since)
        from ..experiment.runner import disk_size_for, sizes_for

        if self.data_size_bytes is None:
            self.data_size_bytes, self.disk_size_bytes = sizes_for(self.profile, None)
        else:
            self.disk_size_bytes = disk_size_for(self.data_size_bytes)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def versions() -> dict[str, str]:
    """Versions of Python, the package, its key libraries and the system tools used."""
    found = {"python": platform.python_version(), "workbench": __version__}
    for module in ("zstandard", "blake3", "pandas", "matplotlib"):
        try:
            found[module] = __import__(module).__version__
        except (ImportError, AttributeError):
            continue
    for tool, argv in TOOLS.items():
        if shutil.which(argv[0]):
            out = subprocess.run(argv, capture_output=True, text=True, check=False)
            text = (out.stdout or out.stderr).strip().splitlines()
            found[tool] = text[0][:80] if text else "?"
    return found


def machine_facts() -> dict[str, Any]:
    facts: dict[str, Any] = {"kernel": platform.release(), "arch": platform.machine(), "cpus": os.cpu_count()}
    try:
        mem = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()
        facts["memory_bytes"] = int(mem[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return facts


class ResultsWriter:
    """Appends rows as cells finish and rewrites the tables, so nothing finished is lost."""

    def __init__(self, out: Path, record: RunRecord) -> None:
        self.out = out
        self.record = record
        self.rows: list[dict[str, Any]] = []
        out.mkdir(parents=True, exist_ok=True)
        record.started = record.started or now_iso()
        record.versions = record.versions or versions()
        record.machine = record.machine or machine_facts()
        self._write_record()

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if row.get("status") == "failed":
            self.record.failed_cells.append(f"{row['strategy']}/{row['scenario']}/r{row['repetition']}")
        self._write_tables(parquet=False)

    def close(self) -> None:
        self.record.finished = now_iso()
        self._write_tables(parquet=True)
        self._write_record()

    def _write_tables(self, *, parquet: bool) -> None:
        import pandas as pd

        frame = pd.DataFrame(self.rows)
        _atomic(self.out / "results.csv", lambda tmp: frame.to_csv(tmp, index=False))
        if parquet and not frame.empty:
            _atomic(self.out / "results.parquet", lambda tmp: frame.to_parquet(tmp, index=False))

    def _write_record(self) -> None:
        _atomic(self.out / "run.json", lambda tmp: tmp.write_text(json.dumps(self.record.to_json(), indent=2)))


def _atomic(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def upgrade(record: dict[str, Any]) -> dict[str, Any]:
    """Bring a run record of an older format up to the current one."""
    version = record.get("format_version", 0)
    if version > FORMAT_VERSION:
        raise UsageError(f"these results were written by a newer workbench (format {version}): upgrade the package")
    return {**record, "format_version": FORMAT_VERSION}


def load_results(folder: str | os.PathLike[str]):
    """(results DataFrame, run record) from a results folder; Parquet when present, else CSV."""
    import pandas as pd

    path = Path(folder)
    csv, parquet, run = path / "results.csv", path / "results.parquet", path / "run.json"
    if not csv.exists() and not parquet.exists():
        raise UsageError(f"'{folder}' holds no results.csv: run 'workbench compare --out {folder}' first")
    frame = pd.read_parquet(parquet) if parquet.exists() else pd.read_csv(csv, keep_default_na=False,
                                                                          na_values=["", "nan", "NaN"])
    record = upgrade(json.loads(run.read_text())) if run.exists() else {}
    return frame, record
