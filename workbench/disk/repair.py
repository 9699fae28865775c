"""What a damaged disk can do for itself, with no backup at all (the ``none`` baseline's only tools).

- ext4 keeps backup superblocks in block groups 1, 3, 5, 7, 9, 25, 27, ...
  (sparse_super), so ``e2fsck -b BLOCK -B SIZE`` repairs a damaged primary.
  ``dumpe2fs`` cannot say where the backups are when the primary is gone,
  so the standard places for 1, 2 and 4 KiB blocks are tried in turn; a wrong
  guess makes e2fsck stop (exit 8) before it writes anything.
- A GPT keeps a backup copy at the end of the disk; ``sgdisk -e`` loads the
  sound copy and rewrites both (and the protective MBR). With both copies
  gone there is nothing left to rebuild from.

Both look first and touch nothing that is already sound. (Plain ``e2fsck -fy``
also falls back to a backup superblock by itself, "Superblock invalid, trying
backup blocks"; naming it with ``-b`` says in the record what was used.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import guard, proc
from .table import gpt_problems, read_table

BLOCK_SIZES = (1024, 4096, 2048)
#: Groups holding backup superblocks under sparse_super: 1 and the powers of 3, 5 and 7.
BACKUP_GROUPS = (1, 3, 5, 7, 9, 25, 27)
_E2FSCK_FIXED = (0, 1, 2)  # clean, errors corrected, corrected (reboot advised)


@dataclass(frozen=True)
class Repair:
    ok: bool
    command: str  # the command that did it (or the last one tried)
    detail: str


def backup_superblocks(block_sizes: tuple[int, ...] = BLOCK_SIZES,
                       groups: tuple[int, ...] = BACKUP_GROUPS) -> list[tuple[int, int]]:
    """(block number, block size) of each standard backup superblock, most likely first (pure).

    A group holds 8 x block size blocks; with 1 KiB blocks block 0 is the boot block, so groups start at 1.
    """
    found = []
    for group in groups:
        for size in block_sizes:
            first_data_block = 1 if size == 1024 else 0
            found.append((group * 8 * size + first_data_block, size))
    return found


def repair_from_backup_superblock(image: Path, *, role: str = "root") -> Repair:
    """Run ``e2fsck -fy -b`` with each standard backup superblock until one repairs the filesystem."""
    real = guard.check_image(image)
    partition = read_table(real).by_role(role)
    shown = f"{real}?offset={partition.start_bytes}"  # the record names the image; e2fsck gets the checked fd
    with guard.held(real, write=True, image_only=True) as disk:
        target = f"{disk.path}?offset={partition.start_bytes}"
        first_look = proc.run(["e2fsck", "-fn", target], check=False, pass_fds=(disk.fd,))
        if first_look.returncode == 0:
            return Repair(True, f"e2fsck -fn {shown}", "already clean: nothing to repair")
        last = Repair(False, "", "no backup superblock tried")
        for block, size in backup_superblocks():
            flags = ["-fy", "-b", str(block), "-B", str(size)]
            done = proc.run(["e2fsck", *flags, target], check=False, what="repairing from a backup superblock",
                            pass_fds=(disk.fd,))
            command = " ".join(["e2fsck", *flags, shown])
            if done.returncode in _E2FSCK_FIXED:
                check = proc.run(["e2fsck", "-fn", target], check=False, pass_fds=(disk.fd,))
                ok = check.returncode == 0
                return Repair(ok, command, f"e2fsck exit {done.returncode}; re-check exit {check.returncode}")
            last = Repair(False, command, f"e2fsck exit {done.returncode}: {_last_line(done)}")
    return last


def rebuild_gpt_from_backup(image: Path) -> Repair:
    """``sgdisk -e``: rebuild the GPT from whichever copy is sound; fails when both are gone."""
    real = guard.check_image(image)
    if read_table(real).label == "gpt" and not gpt_problems(real):
        return Repair(True, f"sgdisk --verify {real}", "both GPT copies sound: nothing to rebuild")
    argv = ["sgdisk", "-e", str(real)]
    done = proc.run(argv, check=False, what="rebuilding the GPT")
    ok = done.returncode == 0 and read_table(real).label == "gpt" and not gpt_problems(real)
    return Repair(ok, " ".join(argv), f"sgdisk exit {done.returncode}: {_last_line(done)}")


def _last_line(done: proc.Completed) -> str:
    lines = [ln.strip() for ln in (done.stderr + done.stdout).decode(errors="replace").splitlines() if ln.strip()]
    return lines[-1] if lines else ""
