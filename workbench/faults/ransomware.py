"""Ransomware: a fraction of the user's files encrypted in place with AES-256-CTR, renamed, and a note left.

The key comes from the seed and each file's nonce from the key and its path,
so the record (which keeps both) lets a test decrypt every file back to the
exact original. Like real ransomware it works through the mounted filesystem,
overwrites each file's bytes in place, renames it ``NAME.locked`` and drops a
note in every folder it struck.

Slow ransomware is this run once per simulated day on a different subset
(``choose_victims`` then ``split_days``), so several restore points hold
encrypted files. ``encrypt_reachable_targets`` strikes what else is reachable
from the machine: a mirror folder, or a backup repository on a drive that
stays mounted.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import blake3
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .. import workspace
from ..errors import UsageError
from .records import FaultRecord, random_bytes, rng, timestamp
from .select import files_under

EXTENSION = ".locked"
NOTE_NAME = "HOW-TO-GET-YOUR-FILES-BACK.txt"
NAME_MAX = 255
_CHUNK = 8 << 20


def ransom_key(seed: int) -> bytes:
    return random_bytes("ransomware", seed, 32, salt="key")


def file_nonce(key: bytes, path: str) -> bytes:
    """The 16-byte CTR nonce of one file, from the key and the file's path (unique per path)."""
    return blake3.blake3(path.encode(), key=key).digest(length=16)


def choose_victims(candidates: Sequence[str], fraction: float, rand: random.Random) -> list[str]:
    """``fraction`` of the candidates (at least one), chosen by the PRNG, sorted (pure)."""
    if not 0 < fraction <= 1:
        raise UsageError(f"the fraction of files to encrypt must be in (0, 1], not {fraction}")
    if not candidates:
        raise UsageError("there are no files to encrypt: write some first")
    count = max(1, math.ceil(fraction * len(candidates)))
    return sorted(rand.sample(list(candidates), count))


def split_days(victims: Sequence[str], days: int, rand: random.Random) -> list[list[str]]:
    """Deal the victims over ``days`` days in a seeded order: one sorted subset per day (pure)."""
    if days < 1:
        raise UsageError(f"slow ransomware needs at least one day, not {days}")
    order = list(victims)
    rand.shuffle(order)
    return [sorted(order[day::days]) for day in range(days)]


def candidates(root: Path, folders: Sequence[str] = ("home",)) -> list[str]:
    """The files ransomware would consider: everything but what it already encrypted and its notes."""
    return [name for name in files_under(root, folders, skip_suffixes=(EXTENSION,))
            if Path(name).name != NOTE_NAME]


def encrypt(root: Path, *, seed: int = 0, fraction: float = 0.5, folders: Sequence[str] = ("home",),
            at: datetime | None = None) -> FaultRecord:
    """Encrypt ``fraction`` of the files under ``folders`` of a mounted filesystem at ``root``."""
    base = workspace.resolve(root, must_exist=True)
    victims = choose_victims(candidates(base, folders), fraction, rng("ransomware", seed))
    record = encrypt_files(base, victims, seed=seed, at=at)
    record.details["fraction"] = fraction
    return record


def encrypt_files(root: Path, files: Sequence[str], *, seed: int = 0, at: datetime | None = None,
                  kind: str = "ransomware") -> FaultRecord:
    """Encrypt exactly ``files`` (relative to ``root``): one day of slow ransomware, or a chosen subset."""
    base = workspace.resolve(root, must_exist=True)
    key = ransom_key(seed)
    entries, notes = _strike(base, files, key, tag_root=False, at=at)
    return FaultRecord(
        kind=kind, seed=seed, time=timestamp(at), target=str(base), files=sorted(files), key=key.hex(),
        details={"cipher": "AES-256-CTR", "encrypted": entries, "notes": notes,
                 "bytes": sum(entry["size"] for entry in entries)},
    )


def encrypt_reachable_targets(paths: Sequence[Path], *, seed: int = 0, at: datetime | None = None) -> FaultRecord:
    """Encrypt every file found under each reachable target folder (a mirror, a mounted backup repository).

    ``files`` in the record are absolute paths here, since the targets are separate trees.
    """
    key = ransom_key(seed)
    entries, notes, struck = [], [], []
    for path in paths:
        base = workspace.resolve(path, must_exist=True)
        if not base.is_dir():
            raise UsageError(f"'{path}' is not a folder: give the target's folder (a mirror or a repository)")
        found, made = _strike(base, candidates(base, ["."]), key, tag_root=True, at=at)
        entries += found
        notes += made
        struck += [str(base / entry["file"]) for entry in found]
    return FaultRecord(
        kind="ransomware-targets", seed=seed, time=timestamp(at), target=", ".join(str(p) for p in paths),
        files=sorted(struck), key=key.hex(),
        details={"cipher": "AES-256-CTR", "encrypted": entries, "notes": notes,
                 "bytes": sum(entry["size"] for entry in entries)},
    )


def decrypt(record: FaultRecord, root: Path | None = None) -> list[str]:
    """Undo a ransomware record: decrypt, rename back, remove its notes. Returns the restored paths.

    ``root`` says where the files are now (the filesystem mounted elsewhere this time); without it, the
    record's own place is used (its target, or each entry's root for reachable targets).
    """
    key = bytes.fromhex(record.key or "")
    restored = []
    for entry in record.details["encrypted"]:
        base = Path(root or entry.get("root") or record.target)
        locked, original = base / entry["renamed_to"], base / entry["file"]
        _apply_cipher(locked, key, bytes.fromhex(entry["nonce"]))
        os.rename(locked, original)
        restored.append(str(original))
    for note in record.details["notes"]:
        base = Path(root or note.get("root") or record.target)
        (base / note["file"]).unlink(missing_ok=True)
    return restored


def _strike(base: Path, files: Sequence[str], key: bytes, *, tag_root: bool,
            at: datetime | None = None) -> tuple[list[dict], list[dict]]:
    """Encrypt and rename the files, leave the notes; entries name their root only when ``tag_root``.

    With ``at`` (simulated time), what it writes carries that time as its mtime, as it would in life.
    """
    stamp = None if at is None else (int(at.timestamp() * 1e9),) * 2
    where = {"root": str(base)} if tag_root else {}
    entries, notes, folders = [], [], []
    for name in sorted(files):
        source = base / name
        if not source.is_file() or source.is_symlink():
            if tag_root:  # a live target (a mirror at work) changes under it: skip what vanished
                continue
            raise UsageError(f"'{name}' is not a file under {base}")
        # A name already at the filesystem's limit cannot grow: like real ransomware, leave it in place.
        too_long = len(os.fsencode(source.name + EXTENSION)) > NAME_MAX
        locked = source if too_long else source.with_name(source.name + EXTENSION)
        # An older encrypted copy under the new name is simply overwritten, as ransomware would.
        nonce = file_nonce(key, name)
        try:
            size = _apply_cipher(source, key, nonce)
            if not too_long:
                os.replace(source, locked)
        except FileNotFoundError:
            if not tag_root:
                raise
            continue
        if stamp:
            os.utime(locked, ns=stamp)
        entries.append({**where, "file": name, "renamed_to": str(locked.relative_to(base)),
                        "nonce": nonce.hex(), "size": size})
        if source.parent not in folders:
            folders.append(source.parent)
    for folder in folders:
        note = folder / NOTE_NAME
        if not note.exists():
            note.write_text(_note_text(key))
            if stamp:
                os.utime(note, ns=stamp)
            notes.append({**where, "file": str(note.relative_to(base))})
    return entries, notes


def _apply_cipher(path: Path, key: bytes, nonce: bytes) -> int:
    """XOR the file with the AES-256-CTR keystream, in place (the same call encrypts and decrypts)."""
    cipher = Cipher(algorithms.AES(key), modes.CTR(nonce)).encryptor()
    done = 0
    with open(path, "r+b") as handle:
        while chunk := handle.read(_CHUNK):
            handle.seek(done)
            handle.write(cipher.update(chunk))
            done += len(chunk)
            handle.seek(done)
    return done


def _note_text(key: bytes) -> str:
    key_id = blake3.blake3(key).hexdigest()[:16]
    return (
        "Your documents, photos and databases have been encrypted (AES-256).\n"
        f"Files ending in {EXTENSION} cannot be opened without the key {key_id}.\n"
        "This is a Data Protection Workbench exercise: restore them from your backups.\n"
    )
