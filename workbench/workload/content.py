"""Deterministic file contents, generated fast.

Every generator is a pure function of a 32-byte key and a size, so the same
profile and seed give byte-identical files. Incompressible bytes come from an
AES-256-CTR keystream (AES-NI makes it several GB/s, far faster than a Python
PRNG); compressible kinds join phrases picked from fixed pools with indices
taken from that keystream, so even text runs at hundreds of MB/s.

Kinds: ``binary`` (ELF-like, incompressible), ``jpeg`` (JPEG-like framing around
incompressible data), ``video`` (MP4-like), ``text``, ``office`` (WordprocessingML
XML, compressible), ``csv``, ``source``, ``config``, ``log`` and ``pages``
(database pages, half structured, half random). ``sqlite`` is a real SQLite
file and is written by :mod:`workbench.workload.sqlitedb`, not here.
"""

from __future__ import annotations

import functools
from array import array
from collections.abc import Iterator
from datetime import datetime, timedelta

import blake3
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

#: Contents generated as a byte stream by :func:`chunks`.
STREAM_KINDS = ("binary", "jpeg", "video", "text", "office", "csv", "source", "config", "log", "pages")
#: Every content kind a profile may name.
CONTENT_KINDS = (*STREAM_KINDS, "sqlite")

CHUNK = 8 << 20  # generation step for big files: bounded memory, big writes
PAGE_SIZE = 8192

_SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ou", "ai")]


def derive_key(*parts: object) -> bytes:
    """A 32-byte key from any parts (seed, path, day...), unambiguous by construction."""
    hasher = blake3.blake3()
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode()
        hasher.update(len(data).to_bytes(8, "little") + data)
    return hasher.digest()


def keystream(key: bytes, size: int, *, offset_blocks: int = 0) -> bytes:
    """``size`` incompressible bytes: AES-256-CTR of zeros under ``key``."""
    nonce = offset_blocks.to_bytes(16, "big")
    encryptor = Cipher(algorithms.AES(key), modes.CTR(nonce)).encryptor()
    out = bytearray(size + 15)  # update_into wants room for a block
    written = encryptor.update_into(_zeros(size), out)
    return bytes(memoryview(out)[:written])


@functools.lru_cache(maxsize=8)
def _zeros(size: int) -> bytes:
    return bytes(size)


def random_word(rng_bytes: bytes) -> str:
    """A pronounceable pseudo-word from 2-4 syllables chosen by the given bytes."""
    count = 2 + rng_bytes[0] % 3
    return "".join(_SYLLABLES[b % len(_SYLLABLES)] for b in rng_bytes[1 : 1 + count])


@functools.lru_cache(maxsize=1)
def vocabulary() -> list[str]:
    """A fixed 4096-word vocabulary (the same on every machine, for every seed)."""
    stream = keystream(derive_key("vocabulary"), 4096 * 5)
    return [random_word(stream[i * 5 : i * 5 + 5]) for i in range(4096)]


def _zipf_words(key: bytes, count: int) -> list[str]:
    """Words with a skewed frequency (small indices far more common), like real text."""
    vocab = vocabulary()
    raw = array("H", keystream(key, 2 * count))
    return [vocab[(v * v) >> 20] for v in raw]  # squaring skews toward 0; 65535^2 >> 20 < 4096


POOL = 1 << 15  # phrases per kind: picks carry 15 bits each, so text compresses like text (~3-5x)


@functools.cache
def _pool(kind: str) -> list[bytes]:
    """``POOL`` phrases of one kind; files are joins of phrases picked by the keystream."""
    words = _zipf_words(derive_key("pool", kind), POOL * 8)
    shapes = keystream(derive_key("pool-shapes", kind), POOL)
    phrase = _PHRASE[kind]
    return [phrase(words[i * 8 : i * 8 + 8], shapes[i]).encode() for i in range(POOL)]


@functools.cache
def _average(kind: str) -> int:
    pool = _pool(kind)
    return sum(map(len, pool)) // len(pool)


def warm(kinds: set[str]) -> None:
    """Build the phrase pools of ``kinds`` now, in this thread, before writer threads share them."""
    for kind in sorted((kinds | ({"csv"} if "pages" in kinds else set())) & set(_PHRASE)):
        _average(kind)


def _sentence(w: list[str], r: int) -> str:
    ends = (" ", " ", ", ", ". ", ". ", ".\n\n", "; ", " ")
    return " ".join(w[: 2 + r % 5]) + ends[r % len(ends)]


def _office(w: list[str], r: int) -> str:
    style = "<w:rPr><w:b/></w:rPr>" if r % 7 == 0 else ""
    return f"<w:p><w:r>{style}<w:t>{' '.join(w[: 3 + r % 5]).capitalize()}.</w:t></w:r></w:p>\n"


def _csv(w: list[str], r: int) -> str:
    return f"{w[0]},{w[1]} {w[2]},{r * 37 % 1000}.{r % 100:02d},{r % 28 + 1:02d}/{r % 12 + 1:02d}/2025,{w[3]}\n"


def _source(w: list[str], r: int) -> str:
    forms = (
        f"def {w[0]}_{w[1]}({w[2]}, {w[3]}):\n",
        f"    {w[0]} = {w[1]}.{w[2]}({w[3]}, {r})\n",
        f"    return {w[0]} + {w[1]}\n",
        f"    # {' '.join(w[: 2 + r % 6])}\n",
        f"    if {w[0]} > {r}:\n        {w[1]}.{w[2]}()\n",
        f"import {w[0]}\n",
        f"class {w[0].capitalize()}{w[1].capitalize()}:\n",
        "\n",
    )
    return forms[r % len(forms)]


def _config(w: list[str], r: int) -> str:
    if r % 9 == 0:
        return f"\n[{w[0]}]\n"
    if r % 5 == 0:
        return f"# {' '.join(w[: 2 + r % 6])}\n"
    return f"{w[0]}_{w[1]} = {w[2] if r % 3 else r}\n"


def _message(w: list[str], r: int) -> str:
    return f"{w[0]}[{1000 + r * 13}]: {' '.join(w[1 : 3 + r % 6])}\n"


_PHRASE = {"text": _sentence, "office": _office, "csv": _csv, "source": _source, "config": _config, "log": _message}

_HEADERS = {
    "office": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<?mso-application progid="Word.Document"?>\n'
        b'<w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml"><w:body>\n'
    ),
    "csv": b"name,description,amount,date,category\n",
    "jpeg": bytes.fromhex("ffd8ffe000104a46494600010101004800480000"),
    "video": bytes.fromhex("0000001c667479706973736f6d0000020069736f6d69736f326d703431"),
    "binary": b"\x7fELF\x02\x01\x01\x00" + bytes(8),
}
_TRAILERS = {"office": b"</w:body></w:wordDocument>\n", "jpeg": b"\xff\xd9"}


def phrases(kind: str, key: bytes, size: int) -> bytes:
    """At least ``size`` bytes of joined phrases of ``kind``."""
    pool, average = _pool(kind), _average(kind)
    picks = array("H", keystream(key, 2 * (size // average + 64)))
    out = b"".join([pool[i & (POOL - 1)] for i in picks])
    while len(out) < size:  # rare: the draw came out short
        key = derive_key(key, "more")
        out += phrases(kind, key, size - len(out))
    return out


def _log_lines(key: bytes, size: int, when: datetime) -> bytes:
    """Log lines stamped one to a few seconds apart, starting at ``when``."""
    messages = phrases("log", key, size).split(b"\n")
    gaps = keystream(derive_key(key, "gaps"), len(messages))
    lines, total, stamp = [], 0, when
    prefix = stamp.strftime("%Y-%m-%dT%H:%M:%S+00:00 host ").encode()
    for message, gap in zip(messages, gaps):
        line = prefix + message + b"\n"
        lines.append(line)
        total += len(line)
        if gap < 48:  # about one line in five starts a new second
            stamp += timedelta(seconds=1 + gap % 3)
            prefix = stamp.strftime("%Y-%m-%dT%H:%M:%S+00:00 host ").encode()
        if total >= size:
            break
    return b"".join(lines)


def _pages(key: bytes, size: int, first_page: int) -> bytes:
    """Database pages: a header, a random half (row data) and a structured half."""
    count = -(-size // PAGE_SIZE)
    half = PAGE_SIZE // 2
    noise = keystream(key, count * (half - 16))
    text = phrases("csv", derive_key(key, "rows"), count * half)
    parts = []
    for i in range(count):
        parts.append((first_page + i).to_bytes(8, "little") + b"WBPAGE\x00\x01")
        parts.append(noise[i * (half - 16) : (i + 1) * (half - 16)])
        parts.append(text[i * half : (i + 1) * half])
    return b"".join(parts)[:size]


def chunks(kind: str, key: bytes, size: int, *, when: datetime | None = None) -> Iterator[bytes]:
    """The content of one file of ``kind`` and ``size``, in chunks of at most ``CHUNK`` bytes.

    ``when`` stamps log lines (it is the file's simulated time).
    """
    header, trailer = _HEADERS.get(kind, b""), _TRAILERS.get(kind, b"")
    if size < len(header) + len(trailer):
        header, trailer = b"", b""
    body = size - len(header) - len(trailer)
    done = 0
    index = 0
    while done < body or (index == 0 and (header or trailer)):
        step = min(CHUNK, body - done)
        part = _body(kind, derive_key(key, index), step, when, done)
        if index == 0:
            part = header + part
        done += step
        if done >= body:
            part += trailer
        yield part
        index += 1


def _body(kind: str, key: bytes, size: int, when: datetime | None, offset: int) -> bytes:
    if kind in ("binary", "jpeg", "video"):
        return keystream(key, size)
    if kind == "log":
        return _log_lines(key, size, when or datetime(2026, 1, 1))[:size]
    if kind == "pages":
        return _pages(key, size, offset // PAGE_SIZE)
    if kind in _PHRASE:
        return phrases(kind, key, size)[:size]
    raise AssertionError(f"not a stream content kind: {kind}")


def generate(kind: str, key: bytes, size: int, *, when: datetime | None = None) -> bytes:
    """The whole content at once (for small files and tests)."""
    return b"".join(chunks(kind, key, size, when=when))
