"""Reading a booting machine's serial console: how far it got, and how the boot ended (pure).

A boot ends in one of five verdicts:

- ``booted``: the one-shot unit that runs once multi-user is reached printed
  ``WORKBENCH-BOOTED <nonce>`` with this boot's nonce. The nonce reaches the
  guest only through the firmware config (``-fw_cfg``), never the disk, so a
  marker left on the disk by an earlier boot, or faked, does not count.
- ``no-boot-loader``: the firmware found nothing to start and fell back to its
  shell or its "no bootable option" message; or the boot loader found nothing
  to boot and stopped at its own prompt.
- ``kernel-panic``: the kernel said so, or the machine reset itself after Linux
  had started (``panic=-1`` and ``-no-reboot`` make a panic end QEMU).
- ``emergency-mode``: systemd's emergency or rescue shell, or the initramfs'
  shell when it cannot find or mount the root filesystem.
- ``timeout``: none of these within the time allowed.

The rules match whole lines, and prompts (which end without a newline) on the
line still being written. The console's escape sequences are removed first.
"""

from __future__ import annotations

import codecs
import re
from collections import deque
from dataclasses import dataclass, field

VERDICTS = ("booted", "no-boot-loader", "kernel-panic", "emergency-mode", "timeout")
MARKER = "WORKBENCH-BOOTED"
STAGES = ("firmware", "boot loader", "linux", "multi-user")

_SEQUENCE = r"\x1b(?:\[[0-9;=?]*[A-Za-z]|[()][A-Za-z0-9]|[=>78])"
#: Whole sequences, sequences cut short (systemd shortens a status line inside one), other control characters.
_ESCAPES = re.compile(rf"{_SEQUENCE}|\x1b\[[0-9;=?]*|[\x00-\x08\x0b-\x1f\x7f]")
_WHOLE_SEQUENCE = re.compile(_SEQUENCE)
_UTF8 = codecs.getincrementaldecoder("utf-8")

#: (verdict, pattern) in the order they are tried on each line.
_FAILURES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (verdict, re.compile(pattern)) for verdict, pattern in (
        ("kernel-panic", r"Kernel panic - not syncing"),
        ("emergency-mode", r"You are in (emergency|rescue) mode"),
        ("emergency-mode", r"Give root password for maintenance"),
        ("emergency-mode", r"Cannot open access to console, the root account is locked"),
        ("emergency-mode", r"Dropping to a shell!"),
        ("emergency-mode", r"^\(initramfs\) ?$"),
        ("no-boot-loader", r"No bootable option or device was found"),
        ("no-boot-loader", r'starting Boot\w+ "EFI Internal Shell"'),
        ("no-boot-loader", r"UEFI Interactive Shell"),
        ("no-boot-loader", r"^Shell> ?$"),
        ("no-boot-loader", r"No bootable device"),  # SeaBIOS, for a BIOS boot
        ("no-boot-loader", r"Boot failed: not a bootable disk"),
        ("no-boot-loader", r"^grub( rescue)?> ?$"),
    )
)
_STAGE_SIGNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("boot loader", re.compile(r"Welcome to GRUB|BdsDxe: starting Boot|systemd-boot")),
    ("linux", re.compile(r"^\[ *\d+\.\d+\]|Linux version|Loading, please wait|Begin: |systemd\[1\]|Reached target")),
)


def clean(text: str) -> str:
    """The console text without escape sequences and carriage returns (newlines kept)."""
    return _ESCAPES.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass
class Console:
    """Fed the console's output as it arrives; says the verdict as soon as one is certain."""

    nonce: str
    keep_lines: int = 40
    stage: str = "firmware"
    verdict: str | None = None
    lines: deque[str] = field(default_factory=deque)
    _pending: str = ""
    _raw_tail: str = ""
    _decoder: codecs.IncrementalDecoder = field(default_factory=lambda: _UTF8("replace"))

    def feed(self, chunk: bytes) -> str | None:
        """Add output; return the verdict once it is known (and keep returning it)."""
        if self.verdict is not None:
            return self.verdict
        text = self._raw_tail + self._decoder.decode(chunk)
        # An escape sequence may be split between two chunks: hold back a trailing partial one.
        cut = text.rfind("\x1b")
        if cut != -1 and len(text) - cut < 16 and not _WHOLE_SEQUENCE.match(text, cut):
            text, self._raw_tail = text[:cut], text[cut:]
        else:
            self._raw_tail = ""
        parts = (self._pending + clean(text)).split("\n")
        self._pending = parts.pop()
        for line in parts:
            self._keep(line)
            if self._judge(line):
                return self.verdict
            self._advance(line)
        if self._pending.strip() and self._judge(self._pending):  # a prompt waits for input on its own line
            return self.verdict
        return None

    def ended(self) -> str:
        """The verdict when the machine stopped by itself with none given: how far it got decides."""
        if self.verdict is None:
            self.verdict = "kernel-panic" if self.stage == "linux" else "no-boot-loader"
        return self.verdict

    def last_lines(self, count: int = 15) -> list[str]:
        """The console's last non-empty lines (the line being written included)."""
        lines = [line for line in [*self.lines, self._pending] if line.strip()]
        return [line.rstrip() for line in lines[-count:]]

    def _keep(self, line: str) -> None:
        self.lines.append(line)
        while len(self.lines) > self.keep_lines:
            self.lines.popleft()

    def _judge(self, line: str) -> bool:
        if self.nonce and re.search(rf"{MARKER} {re.escape(self.nonce)}(\s|$)", line):
            self.verdict, self.stage = "booted", "multi-user"
            return True
        for verdict, pattern in _FAILURES:
            if pattern.search(line.strip() if pattern.pattern.startswith("^") else line):
                self.verdict = verdict
                if verdict != "no-boot-loader":  # a panic or an emergency shell: Linux was running
                    self.stage = "linux"
                return True
        return False

    def _advance(self, line: str) -> None:
        for stage, pattern in _STAGE_SIGNS:
            if STAGES.index(stage) > STAGES.index(self.stage) and pattern.search(line):
                self.stage = stage
