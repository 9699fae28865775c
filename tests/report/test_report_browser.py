"""report.html in a real browser: headless Chromium loads it offline, with every table and image in place."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--virtual-time-budget=5000"]

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (Debian 'chromium'; 'make test' "
                                                     "installs it)"),
    pytest.mark.slow,
]


def chromium(tmp_path: Path, *args: str) -> str:
    """Run headless Chromium with a throwaway profile; return what it printed."""
    done = subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=180, check=True)
    return done.stdout


def test_tables_and_every_image_load_in_chromium(example_report: Path, tmp_path: Path):
    dom = chromium(tmp_path, "--dump-dom", example_report.as_uri())
    images = len(re.findall(r"<img\b", example_report.read_text(encoding="utf-8")))
    body = re.search(r"<body([^>]*)>", dom)
    assert body, "Chromium returned no <body>"
    assert f'data-images-loaded="{images}"' in body.group(1), f"images did not all load: <body{body.group(1)}>"
    assert "data-images-broken" not in body.group(1)
    assert len(re.findall(r"<img\b", dom)) == images > 4  # the overviews and a timeline per scenario
    for table in ("summary-table", "run-table", "versions-table", "machine-table"):
        assert f'id="{table}"' in dom.replace("'", '"'), f"table {table} missing from the rendered page"


def test_screenshot_renders(example_report: Path, tmp_path: Path):
    shot = tmp_path / "report.png"
    chromium(tmp_path, "--window-size=1280,2000", f"--screenshot={shot}", example_report.as_uri())
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1280, 2000)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # text and plots drawn, not a blank page
