"""Catalogue ingest benchmark: parse, normalise, deduplicate and store N records on
PostgreSQL, end to end, through ``manage.py harvest`` — and, in the same run, the same
file through ``yaz-marcdump`` (parse-only floor) and ``zebraidx`` (a search engine's
indexing, what many library systems do with such a file) for ratios.

The file is made of real UNIMARC records (``demo/catalogue/demo-unimarc.mrc`` and
``tests/data/marc/cotes8.mrc``; ``../shared/data/unimarc/periouni.mrc`` when present)
replicated with distinct 001 identifiers, cached under ``var/bench/``.

    .venv/bin/python bench/ingest.py                 # 200,000 records
    .venv/bin/python bench/ingest.py --records 20000 # quicker

Targets (issue 4): >= 2,000 records/s end to end, peak RSS <= 500 MB whatever the file
size, an unchanged re-harvest >= 10,000 records/s. Prints figures; exit 0 whether or
not targets are met (non-zero only when it cannot run).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_SERVER = os.environ.get("BENCH_DATABASE_SERVER", "postgresql://postgres@127.0.0.1:5432")
DB_NAME = f"metrobib_bench_ingest_{os.getpid()}"
SOURCES = [
    Path("/work/shared/data/unimarc/periouni.mrc"),
    ROOT / "demo/catalogue/demo-unimarc.mrc",
    ROOT / "tests/data/marc/cotes8.mrc",
]
ZEBRA_CONFIG = ROOT / "tests/peers/zebra"


def say(*args: object) -> None:
    print(*args, flush=True)


def build_file(records: int) -> Path:
    """N real records, replicated with distinct 001 identifiers (cached)."""
    import pymarc

    target = ROOT / "var" / "bench" / f"unimarc-{records}.mrc"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    originals = []
    for source in SOURCES:
        if source.exists():
            with open(source, "rb") as f:
                originals += [
                    r for r in pymarc.MARCReader(f, to_unicode=True, force_utf8=True) if r
                ]
    say(f"building {target.name} from {len(originals)} real records…")
    written = 0
    with open(target.with_suffix(".tmp"), "wb") as out:
        copy = 0
        while written < records:
            for record in originals:
                if written == records:
                    break
                for field in record.get_fields("001"):
                    record.remove_field(field)
                record.add_ordered_field(pymarc.Field(tag="001", data=f"B{copy:04d}-{written:07d}"))
                out.write(record.as_marc())
                written += 1
            copy += 1
    target.with_suffix(".tmp").rename(target)
    return target


def admin():
    return psycopg.connect(f"{DB_SERVER}/postgres", autocommit=True)


def timed(
    command: list[str], env: dict | None = None, stdout=subprocess.DEVNULL
) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) of the child process, and its stdout."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=stdout, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[:3]} failed:\n{err[-2000:]}")
    return elapsed, usage.ru_maxrss, out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200_000)
    args = parser.parse_args()
    export = build_file(args.records)
    size_mb = export.stat().st_size / 1e6
    say(f"file: {export} ({args.records} records, {size_mb:.0f} MB)")
    python = str(ROOT / ".venv/bin/python")
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"{DB_SERVER}/{DB_NAME}"}
    env.pop("REDIS_URL", None)
    rows = []
    with admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
    try:
        subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        setup = (
            "from network.models import Library; "
            "Library.objects.create(name='Banc d essai', slug='banc')"
        )
        subprocess.run([python, "manage.py", "shell", "-c", setup], cwd=ROOT, env=env, check=True)
        harvest = [
            python,
            "manage.py",
            "harvest",
            "--library",
            "banc",
            "--file",
            str(export),
            "--no-progress",
        ]
        seconds, rss, out = timed(harvest, env, stdout=subprocess.PIPE)
        say(out.strip().splitlines()[-1])
        rows.append(("Métrobib harvest, first run (end to end)", seconds, rss))
        seconds, rss, out = timed(harvest, env, stdout=subprocess.PIPE)
        say(out.strip().splitlines()[-1])
        rows.append(("Métrobib re-harvest, unchanged file", seconds, rss))
    finally:
        with admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME))
            )
    if shutil.which("yaz-marcdump"):
        seconds, rss, _ = timed(["yaz-marcdump", "-i", "marc", "-o", "marcxml", str(export)])
        rows.append(("yaz-marcdump to MARCXML (parse-only floor)", seconds, rss))
    else:
        say("yaz-marcdump not found (apt-get install yaz): no parse-only reference")
    if shutil.which("zebraidx") and (ZEBRA_CONFIG / "zebra.cfg").exists():
        with tempfile.TemporaryDirectory() as tmp:
            for item in ZEBRA_CONFIG.iterdir():
                if item.is_file():
                    shutil.copy(item, tmp)
            Path(tmp, "register").mkdir(exist_ok=True)
            cfg = Path(tmp, "zebra.cfg")
            # The tests' register holds 100 MB; 200,000 records need a few GB.
            cfg.write_text(cfg.read_text().replace("register:100M", "register:20G"))
            zebraidx = ["zebraidx", "-c", "zebra.cfg", "-t", "dom.dom-conf.xml"]
            subprocess.run([*zebraidx, "init"], cwd=tmp, check=True, capture_output=True)
            started = time.perf_counter()
            proc = subprocess.run([*zebraidx, "update", str(export)], cwd=tmp, capture_output=True)
            seconds = time.perf_counter() - started
            if proc.returncode == 0 and b"[fatal]" not in proc.stderr:
                rows.append(("zebraidx update (Zebra indexing)", seconds, 0))
            else:
                say("zebraidx failed:", proc.stderr.decode()[-500:])
    else:
        say("zebraidx or its configuration not found: no Zebra reference")
    say("")
    say(f"{'step':48} {'seconds':>8} {'records/s':>10} {'peak RSS':>9} {'vs ours':>8}")
    ours = rows[0][1]
    for label, seconds, rss in rows:
        rate = args.records / seconds
        ratio = ours / seconds
        rss_text = f"{rss / 1024:.0f} MB" if rss else "—"
        say(f"{label:48} {seconds:8.1f} {rate:10,.0f} {rss_text:>9} {ratio:7.2f}×")
    say("")
    first, again = rows[0], rows[1]
    say(f"target end to end >= 2,000 records/s: {args.records / first[1]:,.0f}")
    say(f"target peak RSS <= 500 MB: {max(first[2], again[2]) / 1024:.0f} MB")
    say(f"target unchanged re-harvest >= 10,000 records/s: {args.records / again[1]:,.0f}")
    say(f"load average at the end: {os.getloadavg()[0]:.2f} (2 cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
