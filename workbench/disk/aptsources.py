"""The Debian mirror this machine's apt already uses, as sources for building another root.

The OS cache is built from the same mirror as the machine's own packages, the
one network source this workbench relies on. Both formats are read: one-line
``deb URI SUITE COMPONENTS`` (``sources.list``, ``*.list``) and deb822
stanzas (``*.sources``). Parsing is pure; only ``configured_sources`` reads files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import OperationFailed

APT_DIR = Path("/etc/apt")


@dataclass(frozen=True)
class Source:
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]


def parse_one_line(text: str) -> list[Source]:
    """``deb [options] URI SUITE COMPONENT...`` lines; deb-src and comments are skipped."""
    found = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        words = line[4:].strip()
        if words.startswith("["):
            words = words.split("]", 1)[1] if "]" in words else ""
        parts = words.split()
        if len(parts) >= 3:
            found.append(Source(parts[0], (parts[1],), tuple(parts[2:])))
    return found


def parse_deb822(text: str) -> list[Source]:
    """Stanzas of ``Types:``, ``URIs:``, ``Suites:``, ``Components:`` (``Enabled: no`` skipped)."""
    found = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0].isspace() and key:
                fields[key] += " " + line.strip()
                continue
            key, _, value = line.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes").lower() == "no":
            continue
        for uri in fields.get("uris", "").split():
            suites, components = fields.get("suites", "").split(), fields.get("components", "").split()
            found.append(Source(uri, tuple(suites), tuple(components)))
    return found


def mirror_lines(sources: list[Source], suite: str) -> list[str]:
    """``deb`` lines for ``suite``, its updates and its security suite, from the Debian archives among ``sources``.

    The main archive is a source carrying ``main`` for a suite without
    ``-security``; the security archive one whose suite ends in ``-security``.
    Their URIs are reused with ``suite`` put in, so a machine on another
    Debian release still builds this one from its own mirror.
    """
    archives = ("/debian", "/debian-security")
    debian = [s for s in sources if "main" in s.components and s.uri.rstrip("/").endswith(archives)]
    main = next((s.uri for s in debian if any(not x.endswith("-security") for x in s.suites)), None)
    security = next((s.uri for s in debian if any(x.endswith("-security") for x in s.suites)), None)
    if main is None:
        return []
    lines = [f"deb {main} {suite} main", f"deb {main} {suite}-updates main"]
    if security is not None:
        lines.append(f"deb {security} {suite}-security main")
    return lines


def configured_sources(apt_dir: Path = APT_DIR) -> list[Source]:
    """Every ``deb`` source apt is configured with on this machine."""
    found: list[Source] = []
    main_list = apt_dir / "sources.list"
    if main_list.is_file():
        found += parse_one_line(main_list.read_text(errors="replace"))
    parts = apt_dir / "sources.list.d"
    if parts.is_dir():
        for path in sorted(parts.iterdir()):
            if path.suffix == ".list":
                found += parse_one_line(path.read_text(errors="replace"))
            elif path.suffix == ".sources":
                found += parse_deb822(path.read_text(errors="replace"))
    return found


def debian_mirror(suite: str, apt_dir: Path = APT_DIR) -> list[str]:
    """The ``deb`` lines to build ``suite`` from, or OperationFailed naming what is missing."""
    lines = mirror_lines(configured_sources(apt_dir), suite)
    if not lines:
        raise OperationFailed(
            f"no Debian mirror found in {apt_dir}/sources.list or sources.list.d/: the Debian root is built "
            "from the mirror apt uses; add one (e.g. 'deb http://deb.debian.org/debian bookworm main')"
        )
    return lines
