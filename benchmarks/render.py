"""docs/benchmarks.md, rendered from the committed records (benchmarks/records/*.json).

    python benchmarks/render.py            # writes docs/benchmarks.md
    python benchmarks/render.py --check    # exit 1 when the document is not what the records render

The document is never edited by hand: ``make bench`` runs the benchmarks, writes the
records and renders it; ``tests/test_benchmarks_doc.py`` checks that it is current.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import RECORD_VERSION, RECORDS, ROOT, Side, ratios

DOC = ROOT / "docs" / "benchmarks.md"
#: The order of the sections: the issue's goals, data first, then disks.
ORDER = ["backup", "mirror", "two_way", "clone", "image", "manifest"]
Record = Mapping[str, object]


def load_records(folder: Path = RECORDS) -> list[dict[str, object]]:
    records = [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]
    for record in records:
        if record.get("record_version") != RECORD_VERSION:
            raise ValueError(f"{record.get('benchmark')}: record version {record.get('record_version')}, "
                             f"this renderer reads {RECORD_VERSION}")
    return sorted(records, key=lambda r: (ORDER.index(str(r["benchmark"])) if r["benchmark"] in ORDER else 99,
                                          r["size"] == "FULL"))


def _sides(record: Record) -> dict[str, Side]:
    return {s["name"]: Side(**s) for s in record["sides"]}  # type: ignore[attr-defined]


def _goal_text(record: Record, op: str, side: str) -> str:
    for goal in record["goals"]:  # type: ignore[attr-defined]
        if goal["op"] == op and goal["reference"] == side:
            return f"≤ {goal['ratio']:g}×" if _sides(record)[side].role == "limit" else f"≥ {goal['ratio']:g}"
    return ""


def goal_results(record: Record) -> list[tuple[str, str, float, float, bool]]:
    """(op, side, goal, measured, met) for every goal of the record."""
    values = {(r["op"], r["side"]): float(r["value"]) for r in ratios(record["rows"], _sides(record))}  # type: ignore[arg-type]
    out = []
    for goal in record["goals"]:  # type: ignore[attr-defined]
        key = (goal["op"], goal["reference"])
        if key in values:
            limit = _sides(record)[goal["reference"]].role == "limit"
            measured, target = values[key], goal["ratio"]
            met = measured <= target if limit else measured >= target
            out.append((str(key[0]), str(key[1]), float(target), measured, met))
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _cpu_ratio(role: str, cpu: float, ours: float | None) -> str:
    """The ratio's convention applied to CPU seconds: what each side costs in work, not in waiting."""
    if role == "ours" or not ours or not cpu:
        return ""
    return f"{cpu / ours:.2f}" if role == "reference" else f"{ours / cpu:.2f}"


def render_record(record: Record) -> list[str]:
    sides = _sides(record)
    value = {(r["op"], r["side"]): r["value"] for r in ratios(record["rows"], sides)}  # type: ignore[arg-type]
    machine: Mapping[str, object] = record["machine"]  # type: ignore[assignment]
    size = "FULL" if record["size"] == "FULL" else record["size"]
    lines = [f"## {record['benchmark'].replace('_', '-')} at {record['size']}: "  # type: ignore[attr-defined]
             f"`python benchmarks/{record['benchmark']}.py --size {size}`", "",
             f"{record['dataset']['text']}; measured {record['date']}, ours at `{record['ours']}`, "  # type: ignore[index]
             f"medians of {record['runs']} runs after one warm-up; load average at the end "
             f"{', '.join(str(v) for v in machine['load_average'])}.", ""]  # type: ignore[attr-defined]
    notes = [f"- {note}" for note in record["notes"]]  # type: ignore[attr-defined]
    lines += [*notes, *([""] if notes else []), "| side | what it does |", "|---|---|"]
    lines += [f"| {_cell(s.name)} | {_cell(s.does)} |" for s in sides.values()]
    lines += ["", "| op | side | seconds | ratio | goal | CPU s | CPU ratio | peak MiB | others' CPUs |",
              "|---|---|---|---|---|---|---|---|---|"]
    rows: Sequence[Mapping[str, object]] = record["rows"]  # type: ignore[assignment]
    ours_cpu = {r["op"]: float(r["cpu_s"]) for r in rows if r["side"] == "ours"}  # type: ignore[arg-type]
    for row in rows:
        ratio = value.get((row["op"], row["side"]))
        cpu = float(row["cpu_s"])  # type: ignore[arg-type]
        op, side = str(row["op"]), str(row["side"])
        cpu_ratio = _cpu_ratio(sides[side].role, cpu, ours_cpu.get(op))
        lines.append(f"| {op} | {_cell(side)} | {row['wall_s']:.2f} | "
                     f"{'' if ratio is None else f'{ratio:.2f}'} | {_goal_text(record, op, side)} | "
                     f"{cpu:.2f} | {cpu_ratio} | {row['peak_rss_mib']:.0f} | {row['others_cpus']:.2f} |")
    return [*lines, ""]


def render_goals(records: Sequence[Record]) -> list[str]:
    lines = ["## The goals", "", "| benchmark | size | op | against | goal | measured | met | CPU ratio |",
             "|---|---|---|---|---|---|---|---|"]
    for record in records:
        cpu = {(r["op"], r["side"]): float(r["cpu_s"]) for r in record["rows"]}  # type: ignore[attr-defined]
        for op, side, goal, measured, met in goal_results(record):
            role = _sides(record)[side].role
            lines.append(f"| {record['benchmark']} | {record['size']} | {op} | {_cell(side)} | "
                         f"{'≤' if role == 'limit' else '≥'} {goal:g} | {measured:.2f} | {'yes' if met else 'no'} | "
                         f"{_cpu_ratio(role, cpu[(op, side)], cpu.get((op, 'ours')))} |")
    return [*lines, ""]


def render_tools(records: Sequence[Record]) -> list[str]:
    tools: dict[str, str] = {}
    for record in records:
        tools.update({k: str(v) for k, v in record["tools"].items()})  # type: ignore[attr-defined]
    return ["| tool | version |", "|---|---|", *(f"| {k} | {_cell(v)} |" for k, v in sorted(tools.items())), ""]


def render(records: Sequence[Record]) -> str:
    if not records:
        return "# Benchmarks\n\nNo records yet: run `make bench`.\n"
    machine: Mapping[str, object] = records[0]["machine"]  # type: ignore[assignment]
    lines = [
        "# Benchmarks: measured, not claimed", "",
        "<!-- Generated by benchmarks/render.py from benchmarks/records/*.json: do not edit. -->", "",
        "Each script runs our engine and the reference tools on the same data in one run: one warm-up,",
        "then the runs, the sides taking turns within each run, every run writing into freshly made",
        "loop-mounted ext4 filesystems, medians kept. Ours is timed through the CLI, start-up included.",
        "`make bench` runs every script at a moderate size (a quarter of the full one) and renders this",
        "page; `--size FULL` runs one at the issue's full size (1 GiB in about 20,000 files; a 2 GiB disk).",
        "",
        "**Ratio = reference time / ours**: above 1, ours is faster. For a *limit* row (what the machine",
        "allows: reading every used byte, compressing it), the ratio is ours / limit: 1 is the limit itself.",
        "CPU seconds and peak memory are those of each side's command and its children (the peak is the",
        "largest process's). **Others' CPUs** is how many CPUs were busy outside the measured command",
        "meanwhile (other processes, and kernel threads such as the loop devices' own). **CPU ratio**",
        "applies the ratio's convention to CPU seconds. With more runnable threads than CPUs, the",
        "scheduler shares CPU time per thread, so a side running many threads (`zstd -T0`, restic) gets",
        "more of the machine than one holding a GIL; the CPU ratio is free of that.",
        "",
        f"The machine: {machine['cpus']} CPUs ({machine['cpu_model']}), {machine['memory']}, Debian "
        f"{machine['debian']}, Linux {machine['kernel']}, Python {machine['python']}. It is shared between",
        "engineers, so how busy it was is part of every record: each row's others' CPUs, and the load",
        "average when each script ended.",
        *_quiet_and_busy(records),
        "",
        *render_tools(records),
        *render_goals(records),
    ]
    for record in records:
        lines += render_record(record)
    return "\n".join(lines).rstrip("\n") + "\n"


#: A record whose rows all had fewer other CPUs busy than this was taken on an otherwise idle machine.
QUIET_OTHERS = 0.5


def _quiet_and_busy(records: Sequence[Record]) -> list[str]:
    """Which records were taken with the machine otherwise idle, and which while other work ran."""
    def name(record: Record) -> str:
        return f"{str(record['benchmark']).replace('_', '-')} at {record['size']}"

    def quiet(record: Record) -> bool:
        return all(float(row["others_cpus"]) < QUIET_OTHERS for row in record["rows"])  # type: ignore[attr-defined]

    lines = []
    if idle := [name(r) for r in records if quiet(r)]:
        lines.append(f"Taken with the machine otherwise idle (others' CPUs below {QUIET_OTHERS:g} in every row): "
                     f"{', '.join(idle)}.")
    if busy := [name(r) for r in records if not quiet(r)]:
        lines.append(f"Taken while other work ran: {', '.join(busy)}. Their seconds are slower and noisier, "
                     "ratios between sides of the same run are worth more than the seconds themselves, and "
                     "the CPU seconds say more about the work each side does than the wall time.")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that the document is current")
    args = parser.parse_args(argv)
    text = render(load_records())
    if args.check:
        current = DOC.read_text() if DOC.exists() else ""
        if current != text:
            print(f"{DOC} is not what the records render: run 'python benchmarks/render.py'", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text)
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
