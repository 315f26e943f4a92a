"""`python -m squadboard capacity`: how many page views per second app processes sustain with a
p95 time to ready within 2 s, per page and for the Monday mix, and the CPU seconds per view;
with 1 process and with N behind nginx on the same machine (issue #19).

The simulated tabs (squadboard/bench/load.py) speak Streamlit's websocket protocol, so the
driver costs little and the figures are the server's. An embedded DuckDB file has one process
at a time, so each app process gets its own copy of the database: the figures are read views
(the Monday morning), which is what the copies serve alike.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from squadboard.bench import generate, load, replicas

PAGES = ["my_squad", "squads", "targets", "leaderboards", "meeting", "mentor"]


def _copies(source: Path, work: Path, n: int) -> list[Path]:
    out = []
    for i in range(n):
        target = work / f"app-{i}.duckdb"
        shutil.copyfile(source, target)
        out.append(target)
    return out


def run(
    *,
    database: Path | None,
    scale: str,
    today: date,
    processes: list[int],
    levels: tuple[int, ...],
    duration_s: float,
    pages: list[str],
    work_dir: Path | None = None,
    out: Path | None = None,
    echo: Callable[[str], None] = print,
) -> dict:
    work = Path(work_dir or tempfile.mkdtemp(prefix="squadboard-capacity-"))
    work.mkdir(parents=True, exist_ok=True)
    report: dict = {"today": today.isoformat(), "cores": os.cpu_count(),
                    "load_average": {"start": os.getloadavg()}, "runs": []}  # fmt: skip
    try:
        if database is None:
            database = work / "org.duckdb"
            database.unlink(missing_ok=True)
            echo(f"building the {scale} organisation …")
            generate.build(database, generate.SCALES[scale], today)
            report["scale"] = scale
        else:
            report["database"] = str(database)
        env = {"SQUADBOARD_TODAY": today.isoformat()}
        for n in processes:
            echo(f"{n} app process{'es' if n > 1 else ''}{' behind nginx' if n > 1 else ''}:")
            copies = _copies(database, work, n)
            with replicas.serve(copies, env=env, log_dir=work / f"logs-{n}") as served:
                # every process opens the database and warms Streamlit before it is measured
                load.run_sessions(served.url, 2 * n, pages, change_widget=False, timeout=600)
                found = {"processes": n, "pages": {}}
                for page in pages:
                    echo(f" page {page}")
                    found["pages"][page] = load.capacity(
                        served.url, served.pids, [page], levels=levels,
                        duration_s=duration_s, echo=echo,
                    )  # fmt: skip
                echo(" the Monday mix")
                found["mix"] = load.capacity(
                    served.url, served.pids, None, levels=levels, duration_s=duration_s,
                    echo=echo,
                )  # fmt: skip
            report["runs"].append(found)
            for path in copies:
                path.unlink(missing_ok=True)
        report["load_average"]["end"] = os.getloadavg()
    finally:
        if work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    for line in table(report):
        echo(line)
    if out:
        Path(out).write_text(json.dumps(report, indent=1, default=str))
    return report


def table(report: dict) -> list[str]:
    load_avg = report["load_average"]
    lines = [
        "",
        f"capacity with p95 time to ready ≤ 2 s, on {report['cores']} cores, load average "
        f"{' / '.join(f'{x:.2f}' for x in load_avg['start'])} at the start, "
        f"{' / '.join(f'{x:.2f}' for x in load_avg.get('end', load_avg['start']))} at the end",
        f"{'':18}" + "".join(f"{str(r['processes']) + ' process(es)':>28}" for r in report["runs"]),
    ]
    if not report["runs"]:
        return lines
    names = list(report["runs"][0]["pages"]) + ["Monday mix"]
    for name in names:
        cells = []
        for r in report["runs"]:
            found = r["mix"] if name == "Monday mix" else r["pages"][name]
            cpu = found["cpu_s_per_view"]
            cells.append(
                f"{found['views_per_s']:7.2f} views/s "
                f"{'' if cpu is None else f'{cpu:.3f} CPU s/view':>17}"
            )
        lines.append(f"{name:18}" + "".join(f"{c:>28}" for c in cells))
    if len(report["runs"]) > 1:
        one, many = report["runs"][0], report["runs"][-1]
        if one["mix"]["views_per_s"]:
            ratio = many["mix"]["views_per_s"] / one["mix"]["views_per_s"]
            lines.append(f"Monday mix, {many['processes']} processes against 1: {ratio:.2f}×")
    return lines
