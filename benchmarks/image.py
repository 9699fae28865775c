"""Image: ours against ``dd | zstd -T0 -3``, and our restore against ``zstd -d --sparse``, one run.

    python benchmarks/image.py                          # a 512 MiB disk, 46 % full (a quarter)
    python benchmarks/image.py --size FULL --json OUT   # a 2 GiB disk, about 1 GiB used

The source is a system disk with the ``laptop`` profile, kept in the page cache (warm).
Every timed run writes into a freshly made loop-mounted ext4. Ours reads only the used
blocks (the ext4 bitmap) and stores independent zstd chunks; ``dd | zstd`` reads the whole
disk file into one stream. The restores read artefacts made once, untimed, beforehand.
The limits: ``cat`` of the disk file (holes read as zeros) and ``zstd -T0 -3`` of it, and
for the restore ``zstd -d`` of the stream to /dev/null (no write at all).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from data import make_disk
from harness import OURS_ENV, Goal, Sample, Side, bench, ours_cli, run_measured, shell

from workbench import proc

LEVEL = 3
OURS = Side("ours", "ours", f"used blocks only, zstd {LEVEL} in independent chunks with BLAKE3 hashes")
DD = Side(f"dd | zstd -T0 -{LEVEL}", "reference", f"the whole disk file, one zstd {LEVEL} stream (no hashes)", "zstd")
ZSTD_D = Side("zstd -d --sparse", "reference", "one stream decompressed into a sparse file (no hashes checked)",
              "zstd")
CAT = Side("cat (read limit)", "limit", "cat of the disk file to /dev/null", "cat")
ZSTD = Side(f"zstd -T0 -{LEVEL} (limit)", "limit", f"zstd -T0 -{LEVEL} of the disk file to /dev/null", "zstd")
UNZSTD = Side("zstd -d (limit)", "limit", "zstd -d of the stream to /dev/null: decompression alone", "zstd")
IMAGE, RESTORE = "image full", "image restore"


def main() -> int:
    with bench("image", __doc__, moderate="512M", full="2G") as b:
        source, b.dataset = make_disk(b.size_bytes)
        size = b.size_bytes * 2 + (256 << 20)
        b.goals = [Goal(IMAGE, DD.name, 1.5), Goal(RESTORE, ZSTD_D.name, 1.0)]

        def image_once(side: Side, run: int) -> Mapping[str, Sample]:
            with b.fresh_filesystem(size) as point:
                commands = {
                    OURS: ours_cli("image", "protect", "--disk", source, "--target", point / "img", "--full",
                                   "--level", LEVEL),
                    DD: shell(f"dd if={source} bs=4M status=none | zstd -T0 -{LEVEL} -q > {point / 'dd.zst'}"),
                    CAT: ["cat", str(source)],
                    ZSTD: ["zstd", "-T0", f"-{LEVEL}", "-q", "-c", str(source)],
                }
                return {IMAGE: run_measured(commands[side], env=OURS_ENV)}

        b.measure([OURS, DD, CAT, ZSTD], image_once)
        with b.fresh_filesystem(size) as store:
            image, stream = store / "img", store / "dd.zst"
            run_measured(ours_cli("image", "protect", "--disk", source, "--target", image, "--full",
                                  "--level", LEVEL), env=OURS_ENV)
            proc.run(["zstd", "-T0", f"-{LEVEL}", "-q", source, "-o", stream])

            def restore_once(side: Side, run: int) -> Mapping[str, Sample]:
                with b.fresh_filesystem(size) as point:
                    out: Path = point / "restored.img"
                    commands = {
                        OURS: ours_cli("image", "restore", "--target", image, "--to", out),
                        ZSTD_D: ["zstd", "-d", "-q", "--sparse", str(stream), "-o", str(out)],
                        UNZSTD: ["zstd", "-d", "-q", "-c", str(stream)],
                    }
                    return {RESTORE: run_measured(commands[side], env=OURS_ENV)}

            b.measure([OURS, ZSTD_D, UNZSTD], restore_once)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
