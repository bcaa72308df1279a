#!/usr/bin/env python3
"""Run one detection's SQL in DuckDB for spelunk-bench.

    duckdb_run.py --setup SQL [--setup SQL ...] --query SQL --paths P [--paths P ...]
                  [--threads N] [--memory-limit 4GB] [--out FILE]

Each --setup file is executed in order (they create macros and views); `{{PATHS}}` in them is
replaced by the DuckDB list literal of the --paths given (files or globs). The --query file's
rows are written to --out (or stdout) as one JSON document:

    {"columns": [...], "rows": [{col: value, ...}, ...], "query_secs": S, "duckdb": VERSION}

query_secs covers the setup and the query (reading, parsing, aggregating), not the Python
start-up or `import duckdb`; the benchmark also times the whole process.
"""
import argparse
import json
import sys
import time


def sql_list(paths):
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--setup", action="append", default=[])
    ap.add_argument("--query", required=True)
    ap.add_argument("--paths", action="append", required=True)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--memory-limit")
    ap.add_argument("--out")
    a = ap.parse_args()

    import duckdb  # imported here so --help works without it

    t0 = time.perf_counter()
    con = duckdb.connect(":memory:")
    if a.threads:
        con.execute(f"SET threads = {int(a.threads)}")
    if a.memory_limit:
        con.execute(f"SET memory_limit = '{a.memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    paths = sql_list(a.paths)
    for f in a.setup:
        with open(f, encoding="utf-8") as fh:
            con.execute(fh.read().replace("{{PATHS}}", paths))
    with open(a.query, encoding="utf-8") as fh:
        cur = con.execute(fh.read().replace("{{PATHS}}", paths))
    columns = [d[0] for d in cur.description]
    rows = [dict(zip(columns, r)) for r in cur.fetchall()]
    secs = time.perf_counter() - t0
    doc = {"columns": columns, "rows": rows, "query_secs": secs, "duckdb": duckdb.__version__}
    text = json.dumps(doc, default=str)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
