"""Where ext4 keeps a file's metadata, asked of an unmounted partition with debugfs (no loop device, no mount).

The bad-sector fault (:mod:`workbench.faults.read_errors`) needs three answers
the mounted filesystem does not give (FIEMAP gives only file data):
- the filesystem's geometry (block size, inode size, inodes per group);
- where an inode lives in the inode table (``imap``), and the blocks of a
  directory (``blocks``);
- which inode owns a block (``icheck``), and whether a block nobody owns is
  in use (``testb``): in use with no owner means filesystem metadata.

All questions go to one ``debugfs -f -`` run each, on ``IMG?offset=N``.
The parsers are pure, and tested without root.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import proc
from ..errors import OperationFailed, UsageError
from .table import Partition


@dataclass(frozen=True)
class Geometry:
    block_size: int
    inode_size: int
    inodes_per_group: int
    first_inode: int  # the first inode that is not reserved (11 on ext4)


def _source(image: Path, partition: Partition) -> str:
    return f"{image}?offset={partition.start_bytes}"


def geometry(image: Path, partition: Partition) -> Geometry:
    text = proc.text(["dumpe2fs", "-h", _source(image, partition)], what="reading the ext4 geometry")
    return parse_geometry(text)


def parse_geometry(text: str) -> Geometry:
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    try:
        return Geometry(int(fields["Block size"]), int(fields["Inode size"]), int(fields["Inodes per group"]),
                        int(fields["First inode"]))
    except (KeyError, ValueError) as exc:
        raise OperationFailed(f"dumpe2fs gave no ext4 geometry ({exc}): is the partition ext4?") from exc


def quote(path: str) -> str:
    """A path for a debugfs command line, absolute and double-quoted (debugfs cannot quote a quote)."""
    if any(ch in path for ch in '"\n\\'):
        raise UsageError(f"'{path}': paths with quotes, backslashes or newlines cannot be passed to debugfs")
    return '"/' + path.strip("/") + '"'


def ask(image: Path, partition: Partition, commands: Sequence[str]) -> list[str]:
    """Run debugfs commands in one go; return each command's output (in order)."""
    if not commands:
        return []
    done = proc.run(["debugfs", "-f", "-", _source(image, partition)], input="\n".join(commands).encode() + b"\n",
                    what="asking debugfs where metadata lives")
    return split_answers(done.stdout.decode(errors="replace"), len(commands))


def split_answers(text: str, count: int) -> list[str]:
    """Split debugfs's output at the echoed ``debugfs: <command>`` lines."""
    parts = re.split(r"^debugfs: .*$", text, flags=re.MULTILINE)[1:]
    if len(parts) != count:
        raise OperationFailed(f"debugfs answered {len(parts)} of {count} questions")
    return [part.strip("\n") for part in parts]


_IMAP = re.compile(r"located at block (\d+), offset 0x([0-9a-fA-F]+)")


def parse_imap(answer: str) -> tuple[int, int]:
    """(block, byte offset in that block) of one inode, from ``imap``'s answer."""
    found = _IMAP.search(answer)
    if not found:
        raise OperationFailed(f"debugfs could not place an inode: {answer.strip()[:200]}")
    return int(found.group(1)), int(found.group(2), 16)


def inode_offsets(image: Path, partition: Partition, inodes: Iterable[int]) -> dict[int, int]:
    """The byte offset in the image of each inode's slot in the inode table."""
    wanted = sorted(set(inodes))
    block_size = geometry(image, partition).block_size
    answers = ask(image, partition, [f"imap <{ino}>" for ino in wanted])
    placed = {}
    for ino, answer in zip(wanted, answers):
        block, offset = parse_imap(answer)
        placed[ino] = partition.start_bytes + block * block_size + offset
    return placed


def parse_blocks(answer: str) -> list[int]:
    if "not found" in answer or "File not found" in answer:
        raise OperationFailed(f"debugfs found no such path: {answer.strip()[:200]}")
    return [int(word) for word in answer.split() if word.isdigit()]


def blocks_of(image: Path, partition: Partition, paths: Sequence[str]) -> dict[str, list[int]]:
    """The filesystem blocks of each path (for a directory: the blocks holding its entries)."""
    answers = ask(image, partition, [f"blocks {quote(path)}" for path in paths])
    return {path: parse_blocks(answer) for path, answer in zip(paths, answers)}


def parse_icheck(answer: str) -> dict[int, int | None]:
    owners: dict[int, int | None] = {}
    for line in answer.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0].isdigit():
            owners[int(words[0])] = int(words[1]) if words[1].isdigit() else None
    return owners


def parse_testb(answer: str) -> dict[int, bool]:
    return {int(m.group(1)): m.group(2) == "marked in use"
            for m in re.finditer(r"Block (\d+) (marked in use|not in use)", answer)}


def block_owners(image: Path, partition: Partition, blocks: Iterable[int]) -> dict[int, int | str | None]:
    """Who holds each block: an inode number, ``"metadata"`` (in use, no inode owns it), or None (free)."""
    wanted = sorted(set(blocks))
    if not wanted:
        return {}
    (icheck,) = ask(image, partition, ["icheck " + " ".join(map(str, wanted))])
    owners: dict[int, int | str | None] = dict(parse_icheck(icheck))
    orphans = [block for block in wanted if owners.get(block) is None]
    in_use: dict[int, bool] = {}
    for answer in ask(image, partition, [f"testb {block}" for block in orphans]):
        in_use.update(parse_testb(answer))
    for block in orphans:
        owners[block] = "metadata" if in_use.get(block) else None
    return owners
