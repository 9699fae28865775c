"""The benchmarks' data: the ``laptop`` profile as a tree or on a system disk, and the issue's 1 % churn.

A tree of 1 GiB holds about 20,000 files: an OS part and a home, office documents,
pictures, source trees, a SQLite database, hard links, a sparse file, a FIFO, setuid
binaries and xattrs. Churn is 1 %: 1 file in 100 (plus one) is modified in place (a few
KiB overwritten in the middle), 1 in 200 (plus one) added and 1 in 200 deleted
(201/101/100 on 20,000 files). Everything is deterministic for its seed.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from workbench.units import format_bytes


def make_tree(root: Path, size: int, profile: str = "laptop", seed: int = 1) -> dict[str, object]:
    """The profile's tree at ``size`` bytes of data; returns what it holds (for the record)."""
    from workbench.workload.generate import build
    from workbench.workload.profile import load_profile

    root.mkdir(parents=True)
    build(load_profile(profile), root, data_size=size, seed=seed)
    return describe_tree(root, profile)


def describe_tree(root: Path, profile: str = "laptop") -> dict[str, object]:
    files = bytes_ = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            st = os.lstat(os.path.join(folder, name))
            if not os.path.islink(os.path.join(folder, name)):
                files += 1
                bytes_ += st.st_size
    return {"profile": profile, "files": files, "bytes": bytes_, "text": f"{profile} profile, {files} files, "
            f"{format_bytes(bytes_)}"}


def apply_churn(root: Path, seed: int) -> dict[str, int]:
    """Modify 1/100 (+1), add 1/200 (+1), delete 1/200 of the regular files, deterministically."""
    rng = random.Random(seed)
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    count = len(files)
    picks = rng.sample(files, min(count, count // 100 + 1 + count // 200))
    modify, delete = picks[: count // 100 + 1], picks[count // 100 + 1 :]
    for path in modify:
        size = path.stat().st_size
        with open(path, "r+b") as handle:
            handle.seek(size // 2)
            handle.write(rng.randbytes(min(4096, max(1, size // 4))))
    for path in delete:
        path.unlink()
    added = count // 200 + 1
    for n in range(added):
        target = root / "user0" / "new" / f"added{n:05d}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(rng.randbytes(rng.randint(1000, 100_000)))
    return {"modified": len(modify), "added": added, "deleted": len(delete)}


def make_disk(size: int, fill: float = 0.46, seed: int = 1) -> tuple[Path, dict[str, object]]:
    """A system disk (in the workspace) with the laptop profile at ``fill`` of its size."""
    from workbench.disk.create import create_disk
    from workbench.disk.mounting import mounted
    from workbench.workload.generate import build
    from workbench.workload.profile import load_profile

    disk = create_disk("source.img", "system", size)
    with mounted(disk) as root:
        built = build(load_profile("laptop"), root, data_size=int(size * fill), seed=seed)
    return disk, {"profile": "laptop", "disk_bytes": size, "files": built.files, "bytes": built.bytes_written,
                  "text": f"laptop profile on a {format_bytes(size)} system disk, {built.files} files, "
                          f"{format_bytes(built.bytes_written)} written"}


def churn_disk(source: Path, seed: int) -> Path:
    """A copy of the disk with the tree's 1 % churn applied to its root filesystem."""
    from workbench.disk.create import import_disk
    from workbench.disk.mounting import mounted

    churned, _ = import_disk(source, "churned.img")
    with mounted(churned) as root:
        apply_churn(root, seed)
    return churned
