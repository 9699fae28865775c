"""The cached Debian root: built once from the Debian mirror, kept as a tarball named by its recipe.

The first build runs ``mmdebstrap`` against the mirror apt already uses (a few
minutes: it downloads and installs about 150 MB of packages). It is kept as
``debian-<suite>-<key>.tar.zst`` with a ``.json`` beside it (what went in,
how big it unpacks, how long it took), so every later disk is a local
extraction of a few seconds with no network. A change to the recipe
(``osrecipe``) changes the key, so a stale root is never reused.

mmdebstrap rather than debootstrap: it resolves packages with apt (one pass,
parallel downloads), takes hooks to place files before and after the
packages install, and cleans the apt caches out of the result.

The cache lives in ``$WORKBENCH_OS_CACHE``, or in the workspace's
``cache/os``. Two builds at once wait for each other (a lock file), and a
tarball appears only whole (written aside, then renamed).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import proc, workspace
from ..errors import OperationFailed, UsageError
from . import aptsources, osrecipe

log = logging.getLogger("workbench.disk")

CACHE_ENV = "WORKBENCH_OS_CACHE"
Say = Callable[[str], None]
_TAR_FLAGS = ("--numeric-owner", "--xattrs", "--xattrs-include=*")


@dataclass(frozen=True)
class CachedRoot:
    tarball: Path
    key: str
    unpacked_bytes: int  # what the extracted root takes on disk, in allocated bytes
    built_now: bool = False  # this call built it (the slow first time)


def cache_dir() -> Path:
    """Where the Debian roots are kept: ``$WORKBENCH_OS_CACHE``, or ``cache/os`` in the workspace."""
    path = workspace.folder_from_env(CACHE_ENV) or workspace.home() / "cache" / "os"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cached() -> CachedRoot | None:
    """The root for today's recipe, if it has been built."""
    tarball = cache_dir() / osrecipe.cache_name()
    meta = tarball.with_name(tarball.name.removesuffix(".tar.zst") + ".json")
    if not (tarball.is_file() and meta.is_file()):
        return None
    facts = json.loads(meta.read_text())
    return CachedRoot(tarball, facts["key"], int(facts["unpacked_bytes"]))


def ensure(say: Say = log.info) -> CachedRoot:
    """The cached root, built first if there is none (saying so, with mmdebstrap's steps as progress)."""
    found = cached()
    if found is not None:
        return found
    with _locked(cache_dir()):
        found = cached()  # another build may have finished while this one waited
        if found is not None:
            return found
        return _build(say)


def _build(say: Say) -> CachedRoot:
    proc.require_root("building the Debian root")
    mirror = aptsources.debian_mirror(osrecipe.SUITE)
    key = osrecipe.cache_key()
    tarball = cache_dir() / osrecipe.cache_name()
    say(f"no cached Debian {osrecipe.SUITE} root for this recipe (key {key}): building one from "
        f"{mirror[0].split()[1]}; this takes a few minutes, once")
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=cache_dir()))
    try:
        early, late, root = work / "early", work / "late", work / "root"
        _write_tree(early, osrecipe.early_files(), {})
        _write_tree(late, osrecipe.late_files(), osrecipe.late_links())
        _mmdebstrap(root, early, late, mirror, say)
        unpacked = _allocated_bytes(root)
        partial = work / tarball.name
        say(f"packing the root ({unpacked >> 20} MiB) into {tarball.name}")
        proc.run(["tar", *_TAR_FLAGS, "--use-compress-program=zstd -T0 -3", "-C", root, "-cf", partial, "."],
                 what="packing the Debian root")
        seconds = time.monotonic() - began
        tarball_bytes = partial.stat().st_size
        facts = {"key": key, "suite": osrecipe.SUITE, "variant": osrecipe.VARIANT, "packages": list(osrecipe.PACKAGES),
                 "recipe_version": osrecipe.RECIPE_VERSION, "mirror": mirror, "unpacked_bytes": unpacked,
                 "tarball_bytes": tarball_bytes, "build_s": round(seconds, 1),
                 "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}  # fmt: skip
        meta = tarball.with_name(tarball.name.removesuffix(".tar.zst") + ".json")
        os.replace(partial, tarball)
        meta.write_text(json.dumps(facts, indent=2) + "\n")
    finally:
        _remove_build_dir(work)
    say(f"built {tarball} ({tarball_bytes >> 20} MiB) in {seconds:.0f} s")
    return CachedRoot(tarball, key, unpacked, built_now=True)


def _mmdebstrap(root: Path, early: Path, late: Path, mirror: list[str], say: Say) -> None:
    args: list[str | Path] = [
            "mmdebstrap", "--mode=root", f"--variant={osrecipe.VARIANT}", f"--include={','.join(osrecipe.PACKAGES)}",
            *(f"--dpkgopt={option}" for option in osrecipe.DPKG_OPTIONS),
            f"--essential-hook=cp -a {shlex.quote(str(early))}/. \"$1\"/",
            f"--customize-hook=cp -a {shlex.quote(str(late))}/. \"$1\"/",
            osrecipe.SUITE, root, *mirror]  # fmt: skip
    tail: list[str] = []
    with proc.streaming(args) as build:
        pending = ""
        while (chunk := build.read(5.0)) is not None:
            lines = (pending + chunk.decode(errors="replace")).split("\n")
            pending = lines.pop()
            for line in lines:
                tail = (tail + [line])[-20:]
                if line.startswith("I: ") and not line.startswith(("I: running --", "I: chroot architecture")):
                    say(f"  {line[3:]}")
    if build.returncode != 0:
        detail = next((line for line in reversed(tail) if line.startswith("E: ")), tail[-1] if tail else "")
        raise OperationFailed(f"building the Debian root failed: {detail.strip()} (is the Debian mirror reachable?)")


def _write_tree(base: Path, files: dict[str, tuple[int, bytes]], links: dict[str, str]) -> None:
    for relative, (mode, data) in files.items():
        path = base / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode)
    for relative, target in links.items():
        path = base / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)


def _allocated_bytes(root: Path) -> int:
    total = 0
    for folder, dirs, names in os.walk(root):
        for name in (*dirs, *names):
            total += os.lstat(os.path.join(folder, name)).st_blocks * 512
    return total


def _remove_build_dir(work: Path) -> None:
    """Delete a build folder, but never through a mount a failed build left inside its chroot (its /dev, /proc)."""
    inside = [point for point in _mount_points() if Path(point).is_relative_to(work)]
    for point in sorted(inside, key=len, reverse=True):
        proc.run(["umount", "--lazy", point], check=False)
    if any(Path(point).is_relative_to(work) for point in _mount_points()):
        log.warning("%s still has mounts inside: left in place", work)
        return
    shutil.rmtree(work, ignore_errors=True)


def _mount_points() -> list[str]:
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    return [line.split()[4].replace("\\040", " ") for line in lines]


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def extract(root_tar: CachedRoot, root: Path) -> None:
    """Unpack the cached root into a mounted root filesystem; files already there stay unless the tarball has them."""
    free = shutil.disk_usage(root).free
    need = int(root_tar.unpacked_bytes * 1.05) + (32 << 20)
    if need > free:
        raise UsageError(
            f"the root filesystem has {free >> 20} MiB free, but the Debian system needs about {need >> 20} MiB: "
            "create a bigger disk ('workbench disk create pc.img --size 1536M --force')"
        )
    proc.run(["tar", *_TAR_FLAGS, "--use-compress-program=zstd -T0", "-C", root, "-xpf", root_tar.tarball],
             what="unpacking the Debian root")


def add_user(root: Path, name: str, uid: int) -> None:
    """Give the system a user account whose home (``/home/NAME``) the workload already made."""
    proc.run(["chroot", root, "useradd", "--uid", str(uid), "--user-group", "--no-create-home",
              "--home-dir", f"/home/{name}", "--shell", "/bin/bash", name], what=f"adding the user {name}")
