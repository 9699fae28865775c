"""Judging a boot from its serial console (pure): real consoles recorded from boots of the debian profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.disk.bootconsole import Console, clean

CONSOLES = Path(__file__).parent / "consoles"
#: The nonce the recorded good boot was given.
BOOTED_NONCE = "fe5b71137052d1e40c3425d10f98fc24"


def _judge(name: str, nonce: str = BOOTED_NONCE, step: int = 0) -> Console:
    raw = (CONSOLES / name).read_bytes()
    console = Console(nonce)
    pieces = [raw] if not step else [raw[i:i + step] for i in range(0, len(raw), step)]
    for piece in pieces:
        if console.feed(piece):
            break
    return console


@pytest.mark.parametrize("step", [0, 1, 5, 64])
def test_a_good_boot_is_booted_whatever_the_chunks(step: int) -> None:
    console = _judge("booted.log", step=step)
    assert (console.verdict, console.stage) == ("booted", "multi-user")
    tail = console.last_lines()
    assert tail[-1] == f"WORKBENCH-BOOTED {BOOTED_NONCE}"
    assert "Welcome to GRUB!" in tail and not any("\x1b" in line or "[0m" in line for line in tail)


def test_a_marker_with_another_nonce_is_stale_and_does_not_count() -> None:
    console = _judge("booted.log", nonce="0" * 32)
    assert console.verdict is None
    assert console.stage == "linux"  # it got as far as Linux, but this boot's marker never came
    assert console.ended() == "kernel-panic"  # had the machine then stopped by itself


def test_a_nonce_prefix_does_not_count() -> None:
    assert _judge("booted.log", nonce=BOOTED_NONCE[:-4] + "ffff").verdict is None
    console = Console("abc")
    assert console.feed(b"WORKBENCH-BOOTED abcdef\n") is None
    assert console.feed(b"WORKBENCH-BOOTED abc\r\n") == "booted"


def test_no_partition_table_falls_back_to_the_firmware_shell() -> None:
    console = _judge("no-partition-table.log", step=16)
    assert (console.verdict, console.stage) == ("no-boot-loader", "firmware")
    assert any("failed to load Boot0001" in line for line in console.last_lines())


def test_a_missing_device_in_fstab_ends_in_emergency_mode() -> None:
    console = _judge("emergency-mode.log", step=32)
    assert (console.verdict, console.stage) == ("emergency-mode", "linux")
    assert any("Dependency failed for data.mount" in line for line in console.last_lines())


def test_a_kernel_panic_is_told_apart() -> None:
    console = _judge("kernel-panic.log")
    assert (console.verdict, console.stage) == ("kernel-panic", "linux")
    assert any("Unable to mount root fs" in line for line in console.last_lines())  # a kernel without its initramfs


@pytest.mark.parametrize(("text", "verdict"), [
    (b"BdsDxe: No bootable option or device was found.\r\n", "no-boot-loader"),
    (b"\x1b[0mShell> ", "no-boot-loader"),  # a prompt: no newline follows
    (b"error: no such device: 1234.\r\ngrub> ", "no-boot-loader"),
    (b"Boot failed: not a bootable disk\r\n", "no-boot-loader"),
    (b"ALERT!  UUID=1234 does not exist.  Dropping to a shell!\r\n", "emergency-mode"),
    (b"(initramfs) ", "emergency-mode"),
    (b"You are in rescue mode. After logging in...\r\n", "emergency-mode"),
    (b"[    3.1] Kernel panic - not syncing: VFS: Unable to mount root fs\r\n", "kernel-panic"),
])
def test_each_failure_is_recognised(text: bytes, verdict: str) -> None:
    assert Console("n").feed(text) == verdict


def test_ordinary_lines_decide_nothing_and_only_move_the_stage() -> None:
    console = Console("n")
    assert console.feed(b"BdsDxe: starting Boot0001 \"UEFI Misc Device\"\r\nWelcome to GRUB!\r\n") is None
    assert console.stage == "boot loader"
    assert console.feed(b"Loading, please wait...\r\nThe grub> in a sentence\r\n") is None
    assert console.stage == "linux"
    assert console.ended() == "kernel-panic"
    assert Console("n").ended() == "no-boot-loader"  # stopped before anything ran


def test_clean_removes_escapes_even_cut_short_and_keeps_text() -> None:
    assert clean("\x1b[0;32m  OK  \x1b[0m] Reached\r\n") == "  OK  ] Reached\n"
    assert clean("Timed out waiting for device \x1b[0;1;…0000.") == "Timed out waiting for device …0000."
    console = Console("n")
    console.feed("Résumé ".encode()[:-2])  # the last é split between two chunks
    console.feed("Résumé ".encode()[-2:] + b"\n")
    assert console.last_lines() == ["Résumé"]
