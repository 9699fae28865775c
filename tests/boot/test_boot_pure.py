"""The pure parts of the debian profile and of booting: recipe key, apt sources, QEMU command, FAT geometry."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from workbench.disk import aptsources, osrecipe
from workbench.disk.boot import qemu_args
from workbench.disk.fatfile import FatGeometry, parse_boot_sector, parse_clusters
from workbench.disk.osinstall import parse_uuid
from workbench.errors import DamageFound, UsageError
from workbench.workload.profile import load_profile, parse_profile

# ---------------------------------------------------------------- the recipe and its key


def test_the_cache_key_follows_every_part_of_the_recipe(monkeypatch: pytest.MonkeyPatch) -> None:
    key = osrecipe.cache_key()
    assert len(key) == 16 and osrecipe.cache_name() == f"debian-bookworm-{key}.tar.zst"
    assert osrecipe.cache_key() == key  # stable
    monkeypatch.setattr(osrecipe, "PACKAGES", (*osrecipe.PACKAGES, "vim-tiny"))
    with_vim = osrecipe.cache_key()
    monkeypatch.setattr(osrecipe, "PACKAGES", tuple(reversed(osrecipe.PACKAGES)))
    assert osrecipe.cache_key() == with_vim  # the order of the list does not matter, its content does
    monkeypatch.undo()
    monkeypatch.setattr(osrecipe, "INITRAMFS_MODULES", osrecipe.INITRAMFS_MODULES[:-1])  # a file's content
    other_file = osrecipe.cache_key()
    monkeypatch.undo()
    monkeypatch.setattr(osrecipe, "RECIPE_VERSION", osrecipe.RECIPE_VERSION + 1)
    assert len({key, with_vim, other_file, osrecipe.cache_key()}) == 4


def test_the_system_finds_its_root_by_uuid_and_masks_what_slows_a_boot() -> None:
    root = "0d2f3c1e-1111-4222-8333-444455556666"
    assert f"UUID={root} / ext4" in osrecipe.fstab(root)
    config = osrecipe.grub_config(root)
    assert f"search --no-floppy --fs-uuid --set=root {root}" in config
    assert f"linux /vmlinuz root=UUID={root} " in config and "console=ttyS0" in config
    assert "initrd /initrd.img" in config
    links = osrecipe.late_links()
    assert all(links[f"etc/systemd/system/{unit}"] == "/dev/null" for unit in ("getty.target", "timers.target"))
    assert links[f"etc/systemd/system/multi-user.target.wants/{osrecipe.MARKER_UNIT}"].endswith(osrecipe.MARKER_UNIT)
    unit = osrecipe.late_files()[f"etc/systemd/system/{osrecipe.MARKER_UNIT}"][1].decode()
    assert "After=multi-user.target" in unit and "Type=oneshot" in unit
    script = osrecipe.late_files()["usr/local/sbin/workbench-boot-marker"]
    assert script[0] == 0o755 and osrecipe.NONCE_PATH.encode() in script[1] and b"WORKBENCH-BOOTED" in script[1]


def test_the_root_uuid_is_read_from_the_superblock() -> None:
    fs_uuid = uuid.uuid4()
    superblock = bytearray(1024)
    superblock[56:58] = (0xEF53).to_bytes(2, "little")
    superblock[104:120] = fs_uuid.bytes
    assert parse_uuid(bytes(superblock)) == str(fs_uuid)
    with pytest.raises(UsageError, match="no ext4"):
        parse_uuid(bytes(1024))


# ---------------------------------------------------------------- the mirror apt uses


DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main

Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main
"""


def test_the_mirror_comes_from_deb822_sources() -> None:
    lines = aptsources.mirror_lines(aptsources.parse_deb822(DEB822), "bookworm")
    assert lines == ["deb http://deb.debian.org/debian bookworm main",
                     "deb http://deb.debian.org/debian bookworm-updates main",
                     "deb http://deb.debian.org/debian-security bookworm-security main"]


def test_the_mirror_comes_from_one_line_sources_of_another_release() -> None:
    text = ("# a comment\ndeb-src http://ftp.example.org/debian trixie main\n"
            "deb [arch=amd64 signed-by=/k.gpg] http://ftp.example.org/debian/ trixie main contrib\n"
            "deb https://download.docker.com/linux/debian trixie stable\n")
    lines = aptsources.mirror_lines(aptsources.parse_one_line(text), "bookworm")
    assert lines == ["deb http://ftp.example.org/debian/ bookworm main",
                     "deb http://ftp.example.org/debian/ bookworm-updates main"]


def test_no_debian_mirror_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "other.sources").write_text(DEB822.split("\n\n")[2])
    (tmp_path / "sources.list.d" / "off.sources").write_text(DEB822.split("\n\n")[0] + "\nEnabled: no\n")
    with pytest.raises(Exception, match="no Debian mirror found"):
        aptsources.debian_mirror("bookworm", tmp_path)


# ---------------------------------------------------------------- the QEMU command


def test_qemu_boots_uefi_on_a_throw_away_overlay_with_the_nonce(tmp_path: Path) -> None:
    argv = qemu_args(tmp_path / "a,b.img", tmp_path / "vars.fd", "feed", cpus=2)
    assert argv[:3] == ["qemu-system-x86_64", "-accel", "tcg"] and "-cpu" not in argv
    assert "-snapshot" in argv and "-no-reboot" in argv and argv[argv.index("-smp") + 1] == "2"
    drives = [argv[i + 1] for i, arg in enumerate(argv) if arg == "-drive"]
    assert drives[0].startswith("if=pflash,format=raw,readonly=on,file=") and drives[0].endswith("OVMF_CODE_4M.fd")
    assert drives[1] == f"if=pflash,format=raw,file={tmp_path}/vars.fd"
    assert drives[2] == f"if=virtio,format=raw,file={tmp_path}/a,,b.img"  # a comma in a path is doubled
    assert argv[argv.index("-fw_cfg") + 1] == f"name={osrecipe.NONCE_NAME},string=feed"
    assert qemu_args(tmp_path / "a.img", tmp_path / "v", "n", accel="kvm")[2:5] == ["kvm", "-cpu", "host"]
    with pytest.raises(UsageError, match="unknown accelerator"):
        qemu_args(tmp_path / "a.img", tmp_path / "v", "n", accel="hvf")


# ---------------------------------------------------------------- where a file lies on the ESP


def _boot_sector(*, reserved: int, fats: int, fat32_sectors: int, per_cluster: int) -> bytes:
    sector = bytearray(512)
    sector[11:13] = (512).to_bytes(2, "little")
    sector[13] = per_cluster
    sector[14:16] = reserved.to_bytes(2, "little")
    sector[16] = fats
    sector[36:40] = fat32_sectors.to_bytes(4, "little")
    sector[510:512] = b"\x55\xaa"
    return bytes(sector)


def test_fat32_geometry_and_cluster_runs() -> None:
    geometry = parse_boot_sector(_boot_sector(reserved=32, fats=2, fat32_sectors=1009, per_cluster=1))
    assert geometry == FatGeometry(cluster_bytes=512, data_offset=(32 + 2 * 1009) * 512)
    assert (geometry.cluster_offset(2), geometry.cluster_offset(3)) == (geometry.data_offset,
                                                                        geometry.data_offset + 512)
    assert parse_clusters("::/EFI/BOOT/BOOTX64.EFI <135-1374> <1380> <1400-1401>\n") == [(135, 1374), (1380, 1380),
                                                                                            (1400, 1401)]
    with pytest.raises(DamageFound, match="no FAT boot sector"):
        parse_boot_sector(bytes(512))


# ---------------------------------------------------------------- the profile


def test_the_debian_profile_asks_for_the_os_and_others_do_not(tmp_path: Path) -> None:
    assert load_profile("debian").os == "debian" and load_profile("debian").users == ("alice",)
    assert load_profile("classroom").os == ""
    doc = {"description": "x", "default_data_size": "1M", "users": 1, "os": "windows",
           "groups": [{"path": "etc", "content": "text", "share": 1, "size": "1K"}]}
    with pytest.raises(UsageError, match="operating systems known are debian"):
        parse_profile(doc, tmp_path / "p.yaml")


# ---------------------------------------------------------------- the command line


def test_disk_boot_refuses_a_missing_disk_and_an_unknown_accelerator(workspace: Path) -> None:
    from workbench.cli.main import main

    assert main(["disk", "boot", "nope.img"]) == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["disk", "boot", "nope.img", "--accel", "hvf"])
    assert exit_info.value.code == 2
