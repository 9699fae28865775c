"""Booting a disk image under QEMU with UEFI firmware: does the system on it start?

Every boot runs on a throw-away overlay (``-snapshot``): what the guest
writes goes to a temporary file that QEMU deletes, so booting never changes
the disk under judgement. The firmware (OVMF) gets a fresh copy of its
variables each time, as a new machine would: it finds the boot loader by the
fallback path, not by an entry an earlier boot left.

The nonce is passed through QEMU's firmware config and read by the guest from
``/sys/firmware/qemu_fw_cfg``; ``bootconsole`` judges the serial console as it
arrives, and the machine is stopped as soon as the verdict is known.

Acceleration is TCG (emulation) unless asked: KVM is only for machines where
it works. It is never probed for, because the paravirtual KVM of some hosts
accepts a VM and then hangs a stock kernel.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from .. import guard, proc
from ..errors import MissingToolError, OperationFailed, UsageError
from .bootconsole import Console
from .loop import loops_of
from .osrecipe import NONCE_NAME

OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
ACCELS = ("tcg", "kvm")
DEFAULT_TIMEOUT_S = 300.0
QEMU = "qemu-system-x86_64"

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class BootResult:
    image: str
    verdict: str  # one of bootconsole.VERDICTS
    seconds: float  # wall-clock seconds from starting QEMU to the verdict
    stage: str  # how far the boot got: firmware, boot loader or linux
    accel: str
    last_lines: tuple[str, ...]  # the console's last lines

    @property
    def booted(self) -> bool:
        return self.verdict == "booted"

    def to_json(self) -> dict:
        return {**asdict(self), "last_lines": list(self.last_lines), "seconds": round(self.seconds, 1)}


def qemu_args(image: Path, vars_copy: Path, nonce: str, *, accel: str = "tcg", memory_mib: int = 1024,
              cpus: int = 2) -> list[str]:
    """The QEMU command line for one boot (pure): q35, OVMF, the disk on virtio with a throw-away overlay."""
    if accel not in ACCELS:
        raise UsageError(f"unknown accelerator '{accel}': choose one of {', '.join(ACCELS)}")
    cpu = ["-cpu", "host"] if accel == "kvm" else []
    return [
        QEMU, "-accel", accel, *cpu, "-machine", "q35", "-smp", str(cpus), "-m", str(memory_mib),
        "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot", "-snapshot",
        "-drive", f"if=pflash,format=raw,readonly=on,file={_qemu_path(OVMF_CODE)}",
        "-drive", f"if=pflash,format=raw,file={_qemu_path(vars_copy)}",
        "-drive", f"if=virtio,format=raw,file={_qemu_path(image)}",
        "-fw_cfg", f"name={NONCE_NAME},string={nonce}",
    ]  # fmt: skip


def _qemu_path(path: Path) -> str:
    """A path inside a QEMU option, where a comma separates options unless doubled."""
    return str(path).replace(",", ",,")


def boot(image: Path, *, timeout_s: float = DEFAULT_TIMEOUT_S, accel: str = "tcg", memory_mib: int = 1024,
         cpus: int = 2, console_log: Path | None = None, progress: Progress | None = None) -> BootResult:
    """Boot ``image`` once and judge it; ``console_log`` keeps the whole console, ``progress(seconds, stage)``
    is called about once a second while waiting."""
    real = guard.check_image(image)
    busy = loops_of(real)
    if busy:
        raise UsageError(f"'{real.name}' is attached as {', '.join(busy)}: release it before booting it "
                         "(a mounted filesystem would change under the running system)")
    proc.require_tool(QEMU)
    if not (OVMF_CODE.is_file() and OVMF_VARS.is_file()):
        raise MissingToolError(f"the UEFI firmware {OVMF_CODE} is not installed: run 'apt-get install ovmf'")
    nonce = secrets.token_hex(16)
    console = Console(nonce)
    with tempfile.TemporaryDirectory(prefix="boot-") as tmp:
        vars_copy = Path(tmp) / "OVMF_VARS.fd"
        shutil.copyfile(OVMF_VARS, vars_copy)
        argv = qemu_args(real, vars_copy, nonce, accel=accel, memory_mib=memory_mib, cpus=cpus)
        log_file = open(console_log, "wb") if console_log is not None else None
        try:
            verdict, seconds = _watch(argv, console, timeout_s, tmp, log_file, progress)
        finally:
            if log_file is not None:
                log_file.close()
    return BootResult(str(real), verdict, seconds, console.stage, accel, tuple(console.last_lines()))


def _watch(argv: list[str], console: Console, timeout_s: float, tmp: str, log_file: BinaryIO | None,
           progress: Progress | None) -> tuple[str, float]:
    """Run QEMU until the console gives a verdict, QEMU ends, or the time is up; return (verdict, seconds)."""
    began = time.monotonic()
    shown = -1
    with proc.streaming(argv, env={"TMPDIR": tmp}) as vm:  # -snapshot's overlay goes to TMPDIR
        while True:
            chunk = vm.read(1.0)
            seconds = time.monotonic() - began
            if chunk is None:
                if vm.returncode:
                    last = console.last_lines(1)
                    raise OperationFailed(f"{QEMU} failed: {last[0] if last else f'exit code {vm.returncode}'}")
                return console.ended(), seconds
            if chunk:
                if log_file is not None:
                    log_file.write(chunk)
                verdict = console.feed(chunk)
                if verdict is not None:
                    return verdict, seconds
            if seconds > timeout_s:
                console.verdict = "timeout"
                return "timeout", seconds
            if progress is not None and int(seconds) != shown:
                shown = int(seconds)
                progress(seconds, console.stage)
