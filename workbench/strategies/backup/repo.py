"""The repository on disk: content-addressed chunks in pack files, an index, snapshots.

Layout (format version 2; docs/formats.md maps it beside the other formats)::

    config              JSON: format name, version, chunker parameters, compression
    packs/<id>          concatenated blobs, each zstd-compressed (or raw if that is smaller)
    index/<id>          zstd of: u32 header length, JSON header {"packs": [pack ids]}, then one
                        53-byte record per chunk: id (32), pack number u32, offset u64,
                        stored length u32, raw length u32, codec u8 (little-endian); binary because
                        loading the index is on every run's path and JSON made it much slower
    snapshots/<id>      zstd JSON: the snapshot header and its tree; id = blake3 of the JSON
    tmp/                files being written; anything here is garbage from a killed run

Versions differ only in the chunker: version 1 cut with ``gear64`` (its config names no
algorithm), version 2 with ``fastcdc2020``. Both read and restore alike, and a backup into
a version-1 repository keeps cutting with ``gear64``, so its chunks still deduplicate.

A chunk id is the blake3 hash of the chunk's plain bytes, so equal content is stored once.
There is no encryption: this is a measurement tool, and the benchmark says so.

Durability order, which is what makes a crash harmless: packs are written to ``tmp/``,
fsynced and renamed into ``packs/``; then the directory is fsynced; then the index that
names them is written the same way; only then the snapshot. A snapshot file therefore
never names a chunk that is not durable. A pack without an index is unreferenced and
removed by the next prune; ``tmp/`` is emptied whenever a writer takes the lock
(the workspace's lock of the repository, :mod:`workbench.disk.locks`, which every kind of target shares).

A run that fails but lives on (a full disk, an I/O error, Ctrl-C) undoes only what no index
names yet: see ``PackWriter.abandon``. An index never names a pack that is gone, because the
next backup takes every indexed chunk as stored.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import struct
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import blake3
import zstandard

from ... import durable, jsonfile
from ...disk import locks
from ...durable import fsync_dir
from ...errors import DamageFound, OperationFailed, UsageError
from ...jsonfile import read_json
from ..target_full import target_full
from .chunker import GEAR64, ChunkerParams

FORMAT = "workbench-backup"
VERSION = 2  # the newest this code reads; a repository's own is the one its chunker needs
PACK_TARGET = 16 << 20
WRITE_BATCH = 4 << 20  # a pack's blobs are written in batches of this size
_IOV_MAX = 1024  # buffers one writev takes (Linux)
CODEC_RAW = 0
CODEC_ZSTD = 1
ZSTD_LEVEL = 3  # the chunks' and the index files'
#: The snapshots' level: a snapshot's JSON of the laptop tree (9.1 MB) took 22 ms at
#: level 1 against 58 ms at 3, and came out smaller (1.73 against 1.83 MB; median of 9). Any level
#: reads back the same, so snapshots written at 3 before read as ever. (An index file of binary ids
#: gains less: 4 against 11 ms for 1.1 MB, and 4 % larger.)
SNAPSHOT_ZSTD_LEVEL = 1
_RECORD = struct.Struct("<32sIQIIB")


class Location(NamedTuple):
    """Where one chunk's stored bytes are (a tuple: cheap to make by the ten thousand)."""

    pack: str
    offset: int
    length: int
    raw_length: int
    codec: int


class _Codecs(threading.local):
    def __init__(self) -> None:
        self.compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
        self.decompressor = zstandard.ZstdDecompressor()


_codecs = _Codecs()


def chunk_id(data: bytes | memoryview) -> bytes:
    return blake3.blake3(data).digest()


def encode(data: bytes | memoryview) -> tuple[bytes | memoryview, int]:
    """Compress a chunk; keep it raw when zstd does not make it smaller (random data)."""
    packed = _codecs.compressor.compress(data)
    if len(packed) < len(data):
        return packed, CODEC_ZSTD
    return data, CODEC_RAW


def decode(stored: bytes | memoryview, location: Location) -> bytes | memoryview:
    if location.codec == CODEC_RAW:
        return stored
    return _codecs.decompressor.decompress(stored, max_output_size=location.raw_length)


def space_error(target: Path, what: str) -> OperationFailed:
    return target_full(target, what, advice="the repository is still consistent (every earlier snapshot "
                       "restores): free space, or run 'workbench backup forget ... --prune'")


@contextmanager
def undone_on_failure(writer: PackWriter, target: Path, what: str) -> Iterator[None]:
    """Run a write; on any failure drop the packs no index names yet, so the repository stays consistent.

    A full disk gets the one-line ``space_error``; other I/O errors say what was being done.
    """
    try:
        yield
    except OSError as exc:
        writer.abandon()
        if exc.errno == errno.ENOSPC:
            raise space_error(target, what) from None
        raise OperationFailed(f"{what} in {target} failed: {exc}") from None
    except BaseException:
        writer.abandon()
        raise


class Repository:
    """An opened repository. Reading is lock-free; writers hold ``lock()``."""

    def __init__(self, path: Path, config: dict[str, Any]) -> None:
        self.path = path
        self.config = config
        self.chunker = ChunkerParams.from_json(config["chunker"])
        self._last_snapshot: tuple[str, dict[str, Any]] | None = None  # read_snapshot's

    # ----- opening -----------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Repository:
        if not path.is_dir():
            raise UsageError(f"'{path}' is not a backup repository (it does not exist): "
                             "run 'workbench backup protect' first")
        config = read_json(path / "config", "repository config", fix="the repository cannot be opened without it",
                           damaged=DamageFound)
        if config is None:
            raise UsageError(
                f"'{path}' is not a backup repository (no config file): pick the directory 'backup protect' wrote"
            )
        if not isinstance(config, dict) or config.get("format") != FORMAT:
            raise UsageError(f"'{path}' is not a workbench backup repository (config names another format)")
        version = config.get("version")
        if not isinstance(version, int) or version > VERSION:
            raise UsageError(
                f"the repository '{path}' has format version {version}, newer than this workbench reads "
                f"({VERSION}): upgrade the workbench"
            )
        try:
            return cls(path, config)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise DamageFound(f"the repository config of '{path}' is damaged ({exc})") from None

    @classmethod
    def open_or_create(cls, path: Path, chunker: ChunkerParams | None = None) -> Repository:
        if path.exists() and (path / "config").exists():
            return cls.open(path)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise UsageError(
                f"'{path}' is not a backup repository and not empty: pick an empty or new directory as target"
            )
        chunker = chunker or ChunkerParams()
        config = {
            "format": FORMAT,
            "version": 1 if chunker.algorithm == GEAR64 else VERSION,
            "id": secrets.token_hex(8),
            "chunker": chunker.to_json(),
            "compression": f"zstd-{ZSTD_LEVEL}",
            "encryption": "none",
        }
        try:
            for sub in ("packs", "index", "snapshots", "tmp"):
                (path / sub).mkdir(parents=True, exist_ok=True)
            write_atomic(path, path / "config", json.dumps(config, indent=1).encode())
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise space_error(path, "creating the repository") from None
            raise
        return cls(path, config)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive writer lock; the kernel drops it if the process dies, so no stale locks."""
        with locks.held(self.path, "backup repository"):
            self.clean_tmp()
            yield

    def clean_tmp(self) -> None:
        tmp = self.path / "tmp"
        tmp.mkdir(exist_ok=True)
        for leftover in tmp.iterdir():
            leftover.unlink(missing_ok=True)

    # ----- index -------------------------------------------------------------------

    def index_files(self) -> list[Path]:
        return sorted((self.path / "index").iterdir())

    def load_index(self) -> dict[bytes, Location]:
        index: dict[bytes, Location] = {}
        for file in self.index_files():
            for chunk, location in read_index_file(file):
                index[chunk] = location
        return index

    def pack_path(self, pack: str) -> Path:
        return self.path / "packs" / pack

    def pack_ids(self) -> list[str]:
        return sorted(p.name for p in (self.path / "packs").iterdir())

    def write_index(self, entries: dict[str, list[tuple[bytes, Location]]]) -> Path:
        packs = sorted(entries)
        header = json.dumps({"packs": packs}).encode()
        parts = [struct.pack("<I", len(header)), header]
        for number, pack in enumerate(packs):
            for chunk, loc in entries[pack]:
                parts.append(_RECORD.pack(chunk, number, loc.offset, loc.length, loc.raw_length, loc.codec))
        data = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(b"".join(parts))
        name = blake3.blake3(data).hexdigest()[:32]
        return write_atomic(self.path, self.path / "index" / name, data)

    # ----- snapshots ---------------------------------------------------------------

    def snapshot_ids(self) -> list[str]:
        return sorted(p.name for p in (self.path / "snapshots").iterdir() if not p.name.startswith("."))

    def write_snapshot(self, snapshot: dict[str, Any]) -> str:
        raw = jsonfile.dumps(snapshot)  # UTF-8; older snapshots are ASCII with escapes, read the same
        snap_id = blake3.blake3(raw).hexdigest()[:16]
        data = zstandard.ZstdCompressor(level=SNAPSHOT_ZSTD_LEVEL).compress(raw)
        write_atomic(self.path, self.path / "snapshots" / snap_id, data)
        return snap_id

    def read_header(self, snap_id: str) -> dict[str, Any]:
        """A snapshot's fields up to its tree (time, kind, parent, stats, ...), from the start of its file.

        Finding 'latest', picking an incremental's base and retention need no more, and parsing every
        snapshot's tree made each of them grow with the number of snapshots (about 0.1 s a snapshot
        of 20,000 files). The writer puts the tree after every other field but ``unreadable``, and
        no JSON string holds ``TREE_KEY`` unescaped, so the text before it is the header. It is
        not checked against the id, which takes the whole content: damage there is found by the
        full read of whatever needs the tree, and by verify; what does not decompress or parse
        here is ``DamageFound`` as in ``read_snapshot``.
        """
        if self._last_snapshot is not None and self._last_snapshot[0] == snap_id:
            return {k: v for k, v in self._last_snapshot[1].items() if k != "tree"}
        prefix = b""
        try:
            with open(self.path / "snapshots" / snap_id, "rb") as file, \
                    zstandard.ZstdDecompressor().stream_reader(file) as reader:
                while TREE_KEY not in prefix and len(prefix) < HEADER_PEEK and (
                        more := reader.read(min(64 << 10, HEADER_PEEK - len(prefix)))):
                    prefix += more
        except FileNotFoundError:
            raise UsageError(
                f"there is no snapshot '{snap_id}' in {self.path}: see 'workbench backup points'") from None
        except zstandard.ZstdError as exc:
            raise DamageFound(f"snapshot {snap_id} is damaged (cannot decompress: {exc})") from None
        cut = prefix.find(TREE_KEY)
        if cut < 0:  # a header longer than the peek (or no tree: damage, which the full read names)
            return {k: v for k, v in self.read_snapshot(snap_id).items() if k != "tree"}
        try:
            header: dict[str, Any] = jsonfile.loads(prefix[:cut] + b"}")
        except ValueError as exc:
            raise DamageFound(f"snapshot {snap_id} is damaged (bad JSON: {exc})") from None
        return header

    def read_snapshot(self, snap_id: str) -> dict[str, Any]:
        """Read and check a snapshot file; DamageFound if it is damaged.

        The last one read is kept for this object's life (one command): a snapshot's id is the
        hash of its content, so a file read again holds the same snapshot or is damaged, and a
        restore of 'latest' would otherwise parse the newest snapshot twice. Only the last,
        since a tree of 20,000 files takes about 20 MiB parsed. Callers do not change what it returns.
        """
        if self._last_snapshot is not None and self._last_snapshot[0] == snap_id:
            return self._last_snapshot[1]
        try:
            raw = zstandard.ZstdDecompressor().decompress((self.path / "snapshots" / snap_id).read_bytes())
        except FileNotFoundError:
            raise UsageError(
                f"there is no snapshot '{snap_id}' in {self.path}: see 'workbench backup points'") from None
        except zstandard.ZstdError as exc:
            raise DamageFound(f"snapshot {snap_id} is damaged (cannot decompress: {exc})") from None
        if blake3.blake3(raw).hexdigest()[:16] != snap_id:
            raise DamageFound(f"snapshot {snap_id} is damaged (its content does not match its id)")
        snapshot: dict[str, Any] = jsonfile.loads(raw)
        self._last_snapshot = snap_id, snapshot
        return snapshot

    # ----- chunks ------------------------------------------------------------------

    def read_chunk(self, chunk: bytes, location: Location, fd: int | None = None,
                   buffer: bytearray | None = None) -> bytes | memoryview:
        """The chunk's plain bytes, checked against its id; ChunkDamaged if they do not match.

        With ``buffer`` (at least ``location.length`` long) the stored bytes are read into it, and a
        chunk stored raw comes back as a view of it, valid until the buffer is used again: a fresh
        allocation per chunk cost a page fault per 4 KiB in a restore.
        """
        own = fd is None
        if fd is None:
            fd = os.open(self.pack_path(location.pack), os.O_RDONLY | os.O_CLOEXEC)
        try:
            if buffer is None:
                stored: bytes | memoryview = os.pread(fd, location.length, location.offset)
            else:
                stored = memoryview(buffer)[: location.length]
                stored = stored[: os.preadv(fd, [stored], location.offset)]
        finally:
            if own:
                os.close(fd)
        if len(stored) != location.length:
            raise ChunkDamaged(chunk, f"pack {location.pack} is truncated")
        try:
            data = decode(stored, location)
        except zstandard.ZstdError as exc:
            raise ChunkDamaged(chunk, f"cannot decompress ({exc})") from None
        if len(data) != location.raw_length or chunk_id(data) != chunk:
            raise ChunkDamaged(chunk, "hash mismatch")
        return data

    def footprint(self) -> int:
        return footprint(self.path)


#: Where a snapshot's tree starts in its JSON (see ``Repository.read_header``).
TREE_KEY = b',"tree":'
HEADER_PEEK = 1 << 20  # a header is a few hundred bytes; one this long is read whole


class ChunkDamaged(DamageFound):
    """A stored chunk does not decode to the bytes its id names."""

    def __init__(self, chunk: bytes, detail: str) -> None:
        super().__init__(f"chunk {chunk.hex()[:16]}: {detail}")
        self.chunk = chunk
        self.detail = detail


def read_index_file(file: Path) -> Iterator[tuple[bytes, Location]]:
    """The (chunk, location) records of one index file; DamageFound if it is damaged."""
    try:
        raw = zstandard.ZstdDecompressor().decompress(file.read_bytes())
        (header_length,) = struct.unpack_from("<I", raw)
        packs = json.loads(raw[4 : 4 + header_length])["packs"]
        records = memoryview(raw)[4 + header_length :]
        if len(records) % _RECORD.size:
            raise DamageFound(f"index file {file.name} is damaged (truncated record); run 'workbench backup verify'")
        for chunk, number, offset, length, raw_length, codec in _RECORD.iter_unpack(records):
            yield chunk, Location(packs[number], offset, length, raw_length, codec)
    except (zstandard.ZstdError, ValueError, struct.error, KeyError, IndexError) as exc:
        raise DamageFound(f"index file {file.name} is damaged ({exc}); run 'workbench backup verify'") from None


class PackWriter:
    """Appends blobs to pack files in ``tmp/``; full packs are made durable in ``packs/``.

    fsync of a full pack runs on a background thread, so reading and compressing the next
    pack's data goes on meanwhile; ``flush`` waits for all of them (and raises their errors).
    """

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.entries: dict[str, list[tuple[bytes, Location]]] = {}  # what this run's index file will hold
        self.stored_bytes = 0
        self._names: list[str] = []  # every pack this run started (removed again on failure)
        self._fd: int | None = None
        self._unwritten: list[bytes | memoryview] = []  # blobs of the open pack not written yet
        self._unwritten_bytes = 0
        self._name = ""
        self._offset = 0
        self._finisher: ThreadPoolExecutor | None = None
        self._finishing: list[Future[None]] = []
        self._indexes_before: set[Path] | None = None  # the index files before ``commit`` wrote one

    def add(self, chunk: bytes, stored: bytes | memoryview, raw_length: int, codec: int) -> Location:
        if self._fd is None:
            self._name = secrets.token_hex(16)
            self._names.append(self._name)
            self._fd = os.open(
                self.repo.path / "tmp" / self._name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600
            )
            self._offset = 0
        location = Location(self._name, self._offset, len(stored), raw_length, codec)
        self._unwritten.append(stored)
        self._unwritten_bytes += location.length
        if self._unwritten_bytes >= WRITE_BATCH or len(self._unwritten) >= _IOV_MAX:
            self._write_unwritten()
        self._offset += location.length
        self.stored_bytes += location.length
        self.entries.setdefault(self._name, []).append((chunk, location))
        if self._offset >= PACK_TARGET:
            self._finish_pack()
        return location

    def _write_unwritten(self) -> None:
        """One ``writev`` for the blobs added since the last: a syscall (and a GIL hand-off) per chunk
        cost more than the copy it saves."""
        assert self._fd is not None
        buffers, self._unwritten, self._unwritten_bytes = self._unwritten, [], 0
        while buffers:
            done = os.writev(self._fd, buffers)
            written = 0  # buffers written whole
            while written < len(buffers) and done >= len(buffers[written]):
                done -= len(buffers[written])
                written += 1
            buffers = buffers[written:]
            if done:  # a short write ended inside this buffer
                buffers[0] = memoryview(buffers[0])[done:]

    def _finish_pack(self) -> None:
        if self._fd is None:
            return
        self._write_unwritten()
        fd, name, self._fd = self._fd, self._name, None
        if self._finisher is None:
            self._finisher = ThreadPoolExecutor(1, thread_name_prefix="pack-fsync")
        self._finishing.append(self._finisher.submit(self._make_durable, fd, name))

    def _make_durable(self, fd: int, name: str) -> None:
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(self.repo.path / "tmp" / name, self.repo.pack_path(name))

    def flush(self) -> None:
        """Every pack written so far is durable in ``packs/`` when this returns."""
        self._finish_pack()
        try:
            for future in self._finishing:
                future.result()
        finally:
            self._finishing.clear()
            if self._finisher is not None:
                self._finisher.shutdown()
                self._finisher = None
        if self._names:
            fsync_dir(self.repo.path / "packs")

    def commit(self, carried: dict[str, list[tuple[bytes, Location]]] | None = None) -> Path | None:
        """Make every pack durable, then write one index naming them and ``carried`` (entries prune keeps).

        Returns the index file, or None if there was nothing to index.
        """
        self.flush()
        entries = {**(carried or {}), **self.entries}
        if not entries:
            return None
        self._indexes_before = set(self.repo.index_files())
        return self.repo.write_index(entries)

    def abandon(self) -> None:
        """After a failure: remove this run's packs, unless this run's index is already in place.

        Once the index is renamed into ``index/`` (a failure can come later: at the directory
        fsync, while writing the snapshot, or as a Ctrl-C), it vouches for those chunks, and
        removing their packs would make it lie: the next backup would take the chunks as
        stored and commit a snapshot naming missing data. Kept, packs and index are a
        consistent pair that no snapshot uses yet; the next backup reuses the chunks and
        prune collects whatever no snapshot comes to use. Keeping is also the choice when
        we cannot tell, because leftover data is harmless and missing data is not.
        """
        self._unwritten, self._unwritten_bytes = [], 0
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._finisher is not None:
            self._finisher.shutdown(wait=True)
            self._finisher = None
        self._finishing.clear()
        if self._index_may_exist():
            return
        for name in self._names:
            (self.repo.path / "tmp" / name).unlink(missing_ok=True)
            self.repo.pack_path(name).unlink(missing_ok=True)

    def _index_may_exist(self) -> bool:
        """True if ``commit`` got as far as a new index file (under the lock, no one else writes one).

        An index rewritten under the same name (same content) counts as absent: it then names
        no pack of this run's, since a new pack's random name would change the content.
        """
        if self._indexes_before is None:
            return False
        try:
            return set(self.repo.index_files()) != self._indexes_before
        except OSError:
            return True


def write_atomic(repo_path: Path, final: Path, data: bytes) -> Path:
    """Replace ``final`` durably, written aside in tmp/ (which a writer empties: a killed run's leftovers go)."""
    return durable.write_atomic(final, data, aside=repo_path / "tmp" / f"{final.name}.{secrets.token_hex(4)}")


def footprint(path: Path) -> int:
    """Allocated bytes (st_blocks * 512) of everything under ``path``."""
    total = 0
    for root, dirs, files in os.walk(path):
        for name in files + dirs:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except FileNotFoundError:
                continue
    return total
