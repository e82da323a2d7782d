"""The parts of ingest that keep memory bounded and the store clean: rebatch, sinks, checks."""

from __future__ import annotations

import hashlib
import threading

import pyarrow as pa
import pytest

from smartstart.sources import SourceError
from smartstart.sources._csvcheck import _SCAN_BLOCK, read_csv_header
from smartstart.sources._readers import _rebatch, open_reader, reading_advice
from smartstart.sources._store import BackgroundHash, ParquetSink, sha256_file


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


def test_reading_advice_for_large_compressed_sav(ingest_source):
    columns = {"RINPERSOONS": ["R"] * 50, "RINPERSOON": [f"{i:09d}" for i in range(50)]}
    compressed = open_reader(ingest_source.sav("a.sav", columns, compress=True))
    plain = open_reader(ingest_source.sav("b.sav", columns))
    assert reading_advice(compressed, 2) is not None
    assert reading_advice(compressed, 10) is None
    assert reading_advice(plain, 2) is None
