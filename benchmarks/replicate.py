"""A national-size store in minutes: ``--copies`` copies of a smaller store, side by side.

Generating a national synthetic delivery (``smartstart synth --persons 18000000``) and ingesting
it takes about three hours on two cores. For the issue-18 figures (the layout build, one
municipality out of a national store) what matters is the size of the files and how persons,
addresses and households are spread over municipalities, not that every person is new. This
script copies every table of STORE ``--copies`` times into TARGET:

- in copy c, every person, address object and household gets a key of its own (a dense
  renumbering of the keys of the store, ``i * copies + c`` written with the catalog's width), so
  no two copies share a person, an address or a household, and families, income households
  and address spells stay linked within a copy;
- every table is written in the order of its key (the person, else the address object, else
  the household), as CBS delivers its files sorted on RINPERSOON. A person's key is a
  pseudonym, so a municipality's rows are spread over the whole file. The synthetic generator
  writes its persons municipality by municipality; copying that order would let a query on
  the full files skip all but a municipality's own row groups (DuckDB's join filter on the
  address key did: 2 of 99 row groups), which a real delivery does not allow;
- copy 0's municipalities keep their codes, but its keys are renumbered too (the delivery's
  partner files and truth.json no longer link to it);
- copy c's municipalities get the codes 2000 + (c - 1) * m + i (no real municipality has a
  code from 2000 on), and its wijk and buurt codes follow.

The target gets a manifest with the new files' sha256 and row counts, so ``build_layout`` and
linking treat it as any ingested store. It is a benchmark fixture, not a delivery: its copies
are exact twins, so the figures of a national run on it say nothing about the analyses' results.

    .venv/bin/python benchmarks/replicate.py /work/nat2/store /work/nat6/store --copies 6
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import duckdb

from smartstart.sources._layout import path_literal as literal
from smartstart.sources._store import sha256_file

#: key domains: the columns that hold one, and the width of its text
DOMAINS = {
    "person": (("RINPERSOON", "RINPERSOONpa", "RINPERSOONMa", "RINPERSOONHKW"), 9),
    "object": (("RINOBJECTNUMMER",), 16),
    "household": (("HUISHOUDNR",), 12),
}


def _columns(con, path: Path) -> list[str]:
    return [row[0] for row in con.execute(
        f"DESCRIBE SELECT * FROM read_parquet({literal(path)})").fetchall()]


def replicate(source: Path, target: Path, copies: int) -> None:
    manifest = json.loads((source / "manifest.json").read_text())
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"SET temp_directory = {literal(target / '.tmp')}")
    con.execute("SET memory_limit = '8GB'")
    files = {(e["table"], e["year"]): source / e["store_path"] for e in manifest["entries"]}
    columns = {key: _columns(con, path) for key, path in files.items()}
    started = time.perf_counter()
    for domain, (names, _) in DOMAINS.items():
        reads = [f"SELECT \"{c}\" AS k FROM read_parquet({literal(p)}) WHERE \"{c}\" IS NOT NULL"
                 for key, p in files.items() for c in columns[key] if c in names]
        con.execute(f"CREATE TABLE map_{domain} AS SELECT k, row_number() OVER (ORDER BY k) - 1"
                    f" AS i FROM (SELECT DISTINCT k FROM ({' UNION ALL '.join(reads)}))")
    areas = [literal(p) for (t, _), p in files.items() if t == "VSLGWBTAB"]
    con.execute(f"CREATE TABLE map_gem AS SELECT k, row_number() OVER (ORDER BY k) - 1 AS i FROM"
                f" (SELECT DISTINCT gem AS k FROM read_parquet([{', '.join(areas)}])"
                " WHERE gem IS NOT NULL)")
    sizes = {d: con.execute(f"SELECT count(*) FROM map_{d}").fetchone()[0]
             for d in (*DOMAINS, "gem")}
    print(f"keys: {sizes} ({time.perf_counter() - started:.0f} s)", flush=True)
    gems = sizes["gem"]
    if 2000 + (copies - 1) * gems - 1 > 9999:
        raise SystemExit(f"{copies} copies of {gems} municipalities do not fit four digits")
    for domain, (_, width) in DOMAINS.items():  # lpad would cut a longer key: no collisions
        if copies * sizes[domain] > 10 ** width:
            raise SystemExit(f"{copies} copies of {sizes[domain]:,} {domain} keys do not fit "
                             f"{width} digits")
    entries = []
    for entry in manifest["entries"]:
        key = (entry["table"], entry["year"])
        path, out = files[key], target / entry["store_path"]
        out.parent.mkdir(parents=True, exist_ok=True)
        select, joins, order = [], [], None
        if key[0] == "VSLGWBTAB":  # its municipality, wijk and buurt codes follow the copy
            joins.append("LEFT JOIN map_gem AS g ON g.k = t.gem")
        for n, column in enumerate(columns[key]):
            domain = next((d for d, (names, _) in DOMAINS.items() if column in names), None)
            if domain is not None:
                width = DOMAINS[domain][1]
                joins.append(f"LEFT JOIN map_{domain} AS m{n} ON m{n}.k = t.\"{column}\"")
                select.append(f"CASE WHEN m{n}.i IS NULL THEN t.\"{column}\" ELSE "
                              f"lpad(CAST(m{n}.i * {copies} + c.c AS VARCHAR), {width},"
                              f" '0') END AS \"{column}\"")
                rank = list(DOMAINS).index(domain)
                if order is None or rank < order[0]:
                    order = (rank, column)
            elif column in ("gem", "wc", "bc") and key[0] == "VSLGWBTAB":
                code = f"CAST(2000 + (c.c - 1) * {gems} + g.i AS VARCHAR)"
                rest = "" if column == "gem" else f" || substr(t.\"{column}\", 5)"
                select.append(f"CASE WHEN c.c = 0 OR t.gem IS NULL THEN t.\"{column}\" ELSE "
                              f"{code}{rest} END AS \"{column}\"")
            else:
                select.append(f't."{column}"')
        query = (f"SELECT {', '.join(select)} FROM range({copies}) AS c(c) "
                 f"CROSS JOIN read_parquet({literal(path)}) AS t {' '.join(joins)}")
        if order is not None:
            query = f'SELECT * FROM ({query}) ORDER BY "{order[1]}"'
        began = time.perf_counter()
        con.execute(f"COPY ({query}) TO {literal(out)} "
                    "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 500000)")
        rows = con.execute(f"SELECT count(*) FROM read_parquet({literal(out)})").fetchone()[0]
        if rows != copies * entry["rows_written"]:
            raise SystemExit(f"{out}: {rows} rows, expected {copies} x {entry['rows_written']}")
        stat = out.stat()
        entries.append({**entry, "sha256": sha256_file(out), "rows_read": rows,
                        "rows_written": rows, "size_bytes": stat.st_size,
                        "mtime_ns": stat.st_mtime_ns,
                        "row_groups": con.execute(
                            f"SELECT count(DISTINCT row_group_id) FROM "
                            f"parquet_metadata({literal(out)})").fetchone()[0]})
        print(f"{entry['store_path']}: {rows:,} rows in {time.perf_counter() - began:.1f} s",
              flush=True)
    con.close()
    shutil.rmtree(target / ".tmp", ignore_errors=True)
    (target / "manifest.json").write_text(json.dumps({**manifest, "entries": entries}, indent=1))
    print(f"{target}: {copies} copies in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="an ingested store")
    parser.add_argument("target", type=Path, help="the new store (replaced)")
    parser.add_argument("--copies", type=int, default=6)
    args = parser.parse_args()
    replicate(args.source, args.target, args.copies)


if __name__ == "__main__":
    main()
