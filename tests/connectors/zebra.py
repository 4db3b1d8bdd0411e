"""A real Zebra for the tests: real ISO 2709 records indexed by ``zebraidx``, served over
SRU by ``zebrasrv`` on a free port of 127.0.0.1.

The configuration lives in ``tests/peers/zebra/`` (DOM filter, indexing XSLT, ICU folding,
CQL table); the fixture copies it to a temporary directory, indexes the records there and
stops the server at teardown. It fails loudly, with Zebra's own log, when something does
not work: a missing package, a record type Zebra cannot load, fewer records indexed than
the files hold, a server that does not answer::

    def test_something(zebra):
        SruDriver({"base_url": zebra.base_url}).harvest()
        assert zebra.record_count == 45
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from lxml import etree

from catalogue.marc import MarcRecord, read_marc_file

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "tests" / "peers" / "zebra"
MARC = ROOT / "tests" / "data" / "marc"
# Each file with the DOM filter configuration that reads its character set.
RECORD_FILES = (
    (MARC / "cotes8.mrc", "dom.dom-conf.xml"),  # UNIMARC, UTF-8
    (MARC / "test.dat", "dom.dom-conf-marc8.xml"),  # MARC 21, MARC-8
)
START_TIMEOUT = 15.0  # seconds
SRU_NS = {"zs": "http://www.loc.gov/zing/srw/"}


@dataclass
class ZebraServer:
    base_url: str
    directory: Path
    records: list[MarcRecord] = field(repr=False)  # what the files hold, in file order
    startup_seconds: float = 0.0  # init + indexing + until the server answers

    @property
    def record_count(self) -> int:
        return len(self.records)

    def log(self) -> str:
        return _tail(self.directory / "zebrasrv.log")


def _tail(path: Path, limit: int = 6000) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(pas de journal)"
    return text[-limit:]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(directory: Path, *args: str) -> None:
    result = subprocess.run(
        ["zebraidx", "-c", "zebra.cfg", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    log = result.stdout + result.stderr
    with (directory / "zebraidx.log").open("a") as journal:
        journal.write(log)
    # zebraidx exits 0 on a record type it cannot load; its log says so.
    if result.returncode != 0 or "[fatal]" in log or "No such record type" in log:
        pytest.fail(f"zebraidx {' '.join(args)} failed (exit {result.returncode}):\n{log[-6000:]}")


def _count(base_url: str) -> int | None:
    """numberOfRecords for cql.allRecords=1, or None while the server is not answering."""
    params = {
        "version": "1.2",
        "operation": "searchRetrieve",
        "query": "cql.allRecords=1",
        "maximumRecords": "0",
    }
    try:
        reply = httpx.get(base_url, params=params, timeout=2.0)
    except httpx.TransportError:
        return None
    found = etree.fromstring(reply.content).findtext("zs:numberOfRecords", namespaces=SRU_NS)
    return int(found) if found is not None else -1


def _stop(process: subprocess.Popen) -> None:
    # zebrasrv forks a child per connection: signal the whole group it leads.
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def start_zebra(directory: Path) -> tuple[subprocess.Popen, ZebraServer]:
    """Index the record files in ``directory`` (a copy of the configuration is made there)
    and start zebrasrv. The caller stops the process (see :func:`_stop`)."""
    for tool in ("zebraidx", "zebrasrv"):
        if shutil.which(tool) is None:
            pytest.fail(
                f"{tool} introuvable : installez les paquets Debian idzebra-2.0 et yaz "
                "(.ci/run le fait)."
            )
    began = time.monotonic()
    shutil.copytree(CONFIG, directory, dirs_exist_ok=True)
    (directory / "register").mkdir(exist_ok=True)
    _run(directory, "init")
    records: list[MarcRecord] = []
    for path, record_type in RECORD_FILES:
        _run(directory, "-t", record_type, "update", str(path))
        with path.open("rb") as stream:
            records += [r for r in read_marc_file(stream) if isinstance(r, MarcRecord)]

    template = (CONFIG / "yazgfs.xml").read_text()
    port = _free_port()
    (directory / "yazgfs.xml").write_text(template.replace("@LISTEN@", f"tcp:127.0.0.1:{port}"))
    base_url = f"http://127.0.0.1:{port}/Default"
    log = (directory / "zebrasrv.log").open("w")
    process = subprocess.Popen(
        ["zebrasrv", "-f", "yazgfs.xml"],
        cwd=directory,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    server = ZebraServer(base_url, directory, records)
    deadline = began + START_TIMEOUT
    while (count := _count(base_url)) is None:
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            pytest.fail(f"zebrasrv did not start on port {port}:\n{server.log()}")
        time.sleep(0.05)
    server.startup_seconds = time.monotonic() - began
    if count != len(records):
        _stop(process)
        pytest.fail(
            f"Zebra indexed {count} records, the files hold {len(records)}:\n"
            + _tail(directory / "zebraidx.log")
        )
    return process, server


@pytest.fixture(name="zebra", scope="module")
def zebra_fixture(tmp_path_factory) -> Iterator[ZebraServer]:
    """A Zebra serving cotes8.mrc (35 UNIMARC records) and test.dat (10 MARC 21) over SRU."""
    process, server = start_zebra(tmp_path_factory.mktemp("zebra"))
    try:
        yield server
    finally:
        _stop(process)
