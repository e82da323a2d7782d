"""The parts of ingest that keep memory bounded and the store clean: prefetch, rebatch, sinks."""

from __future__ import annotations

import hashlib
import threading

import pyarrow as pa
import pytest

from smartstart.sources import SourceError
from smartstart.sources._csvcheck import _SCAN_BLOCK, read_csv_header
from smartstart.sources._prefetch import prefetch
from smartstart.sources._readers import _rebatch
from smartstart.sources._store import BackgroundHash, ParquetSink, sha256_file


def _numbers(stop: int, closed: list[bool], fail_at: int | None = None):
    try:
        for i in range(stop):
            if i == fail_at:
                raise SourceError("broken", hint="none")
            yield i
    finally:
        closed.append(True)


def test_prefetch_yields_everything_in_order():
    closed: list[bool] = []
    assert list(prefetch(_numbers(50, closed))) == list(range(50))
    assert closed == [True]


def test_prefetch_passes_on_reader_errors():
    closed: list[bool] = []
    seen = []
    with pytest.raises(SourceError):
        for item in prefetch(_numbers(10, closed, fail_at=3)):
            seen.append(item)
    assert seen == [0, 1, 2]
    assert closed == [True]


def test_prefetch_stops_the_reader_when_the_consumer_stops():
    closed: list[bool] = []
    before = threading.active_count()
    items = prefetch(_numbers(1_000_000, closed))
    assert next(items) == 0
    items.close()
    assert closed == [True]
    assert threading.active_count() == before


def test_rebatch_gives_exact_chunks():
    batches = [pa.record_batch({"a": pa.array(range(n), pa.int64())}) for n in (3, 7, 1, 0, 9)]
    sizes = [t.num_rows for t in _rebatch(iter(batches), 4)]
    assert sizes == [4, 4, 4, 4, 4]
    values = [v for t in _rebatch(iter(batches), 4) for v in t.column("a").to_pylist()]
    assert values == list(range(3)) + list(range(7)) + [0] + list(range(9))


def test_sink_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "TABLE" / "2022.parquet"
    schema = pa.schema([("a", pa.int64())])
    with pytest.raises(RuntimeError), ParquetSink(target, schema) as sink:
        sink.write(pa.table({"a": [1, 2]}, schema=schema))
        raise RuntimeError("stop")
    assert list(tmp_path.rglob("*")) == []


def test_background_hash(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"x" * 3_000_000)
    with BackgroundHash(path) as digest:
        assert digest.result() == hashlib.sha256(path.read_bytes()).hexdigest()
    stop = threading.Event()
    stop.set()
    assert sha256_file(path, stop) == ""


def test_utf8_check_across_the_scan_block_boundary(tmp_path):
    ascii_part = "RINPERSOONS;NOTE\nR;"
    ascii_part += "x" * (_SCAN_BLOCK - 1 - len(ascii_part))
    path = tmp_path / "f.csv"
    path.write_bytes(ascii_part.encode("ascii") + "ë\n".encode())  # 'ë' split over two blocks
    with pytest.raises(SourceError):
        read_csv_header(path)
    path.write_bytes(ascii_part.encode("ascii") + "ë\n".encode("latin-1"))
    assert read_csv_header(path) == ("RINPERSOONS", "NOTE")


def test_csv_header_checks(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"RINPERSOONS\tRINPERSOON\nR\t000000001\n")
    with pytest.raises(SourceError, match="tab"):
        read_csv_header(path)
    path.write_bytes(b"")
    with pytest.raises(SourceError):
        read_csv_header(path)
