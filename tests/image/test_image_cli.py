"""The image and clone commands as users run them: verbs, --json, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from image_helpers import MiB, fill, flip

from workbench.cli.main import main
from workbench.disk import health
from workbench.disk.create import create_disk
from workbench.strategies.image.store import load_all

pytestmark = pytest.mark.root


def _json(capsys, argv: list[str]):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_image_verbs(workspace: Path, capsys):
    disk = create_disk("pc.img", "system", 96 * MiB)
    fill(disk, random_mib=4)
    point = _json(capsys, ["image", "protect", "--disk", "pc.img", "--target", "images", "--json",
                           "--now", "2026-01-31T12:00"])
    assert point["kind"] == "full" and point["time"] == "2026-01-31T12:00:00+00:00"
    assert main(["image", "protect", "--disk", "pc.img", "--target", "images", "--now", "2026-02-01T12:00"]) == 0
    capsys.readouterr()
    points = _json(capsys, ["image", "points", "--target", "images", "--json"])
    assert [p["kind"] for p in points] == ["full", "incremental"]
    assert all({"id", "time", "kind"} <= set(p) for p in points)

    assert main(["image", "verify", "--target", "images"]) == 0
    assert main(["image", "restore", "--target", "images", "--to", "new.img"]) == 0
    assert health.check(workspace / "new.img").ok
    assert main(["image", "restore", "--target", "images", "--to", "new.img"]) == 2  # exists, no --force
    assert main(["image", "extract", "--target", "images", "/etc/hostname", "--to", "out"]) == 0
    assert (workspace / "out" / "hostname").read_text() == "workbench-pc\n"

    entry = next(e for e in load_all(workspace / "images")[0][0].entries if e.kind == 1)
    flip(load_all(workspace / "images")[0][0].path, entry.offset + 3)
    capsys.readouterr()
    assert main(["image", "verify", "--target", "images", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["ok"] and report["damage"][0]["what"] == "chunk"
    assert main(["image", "restore", "--target", "images", "--to", "bad.img"]) == 1
    assert main(["image", "forget", "--target", "images", "--point", points[0]["id"]]) == 2  # has a dependant


def test_clone_verbs(workspace: Path, capsys):
    disk = create_disk("pc.img", "system", 64 * MiB)
    fill(disk, random_mib=4)
    first = _json(capsys, ["clone", "protect", "--disk", "pc.img", "--target", "clones/pc.img", "--json"])
    again = _json(capsys, ["clone", "protect", "--disk", "pc.img", "--target", "clones/pc.img", "--json"])
    assert first["extra"]["mode"] == "full" and again["extra"]["mode"] == "refresh"
    assert again["extra"]["bytes_written"] == 0  # nothing changed
    points = _json(capsys, ["clone", "points", "--target", "clones/pc.img", "--json"])
    assert len(points) == 1 and points[0]["kind"] == "clone"
    assert main(["clone", "verify", "--target", "clones/pc.img"]) == 0
    assert main(["clone", "restore", "--target", "clones/pc.img", "--to", "back.img"]) == 0
    assert (workspace / "back.img").read_bytes() == disk.read_bytes()
    flip(workspace / "clones" / "pc.img", 40 * MiB + 5)
    assert main(["clone", "verify", "--target", "clones/pc.img"]) == 1
