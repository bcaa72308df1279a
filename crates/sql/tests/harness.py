"""Run spelunk-compiled SQL on DuckDB or Spark (local mode) and canonicalise rows.

Used by crates/cli/tests/sql_differential.rs: reads a JSON manifest (argv[2]) of cases, each
{"id", "sql", "layout", "table", "inputs": [paths], "columns": [{"name", "json"}], "spelunk": [ndjson lines]},
loads each case's input as its layout's table (one Spark session for every case), runs the SQL
and prints one JSON object: {"<id>": {"sql": [rows] | null, "error": text | null,
"spelunk": [rows]}}, rows canonical (see `canon`) so both sides compare as text.

Loading, per layout (the same bytes spelunk reads):
- ndjson: one text column per top-level key (numbers and booleans as their JSON text; keys the
  test marks `json` hold JSON text), plus `_seq`, the line's position;
- cloudtrail: the Records of each file (files in path order, as spelunk walks folders) with
  AWS's Athena shape: requestParameters/responseElements/additionalEventData/serviceEventDetails
  as JSON text, userIdentity and tlsDetails structs, resources an array of structs, plus `_seq`;
- ocsf: the NDJSON records as they are (nested structs), plus `_seq`.
"""

import datetime
import gzip
import json
import math
import os
import sys
import tempfile

CT_SCALARS = ["eventVersion", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent",
              "errorCode", "errorMessage", "requestID", "eventID", "readOnly", "eventType", "apiVersion",
              "managementEvent", "recipientAccountId", "sharedEventID", "vpcEndpointId", "eventCategory",
              "sessionCredentialFromConsole"]
CT_JSON = ["requestParameters", "responseElements", "additionalEventData", "serviceEventDetails"]
CT_STRUCTS = {
    "userIdentity": {"type": None, "principalId": None, "arn": None, "accountId": None, "invokedBy": None,
                     "accessKeyId": None, "userName": None,
                     "sessionContext": {"attributes": {"mfaAuthenticated": None, "creationDate": None},
                                        "sessionIssuer": {"type": None, "principalId": None, "arn": None,
                                                          "accountId": None, "userName": None},
                                        "ec2RoleDelivery": None, "sourceIdentity": None}},
    "tlsDetails": {"tlsVersion": None, "cipherSuite": None, "clientProvidedHostHeader": None},
}
CT_RESOURCE = {"ARN": None, "accountId": None, "type": None}


def ddl_type(shape, spark):
    s = "STRING" if spark else "VARCHAR"
    if shape is None:
        return s
    if spark:
        return "STRUCT<" + ", ".join(f"`{k}`: {ddl_type(v, spark)}" for k, v in shape.items()) + ">"
    return "STRUCT(" + ", ".join(f'"{k}" {ddl_type(v, spark)}' for k, v in shape.items()) + ")"


def ct_columns(spark):
    s = "STRING" if spark else "VARCHAR"
    cols = [(c, s) for c in CT_SCALARS + CT_JSON]
    cols += [(k, ddl_type(v, spark)) for k, v in CT_STRUCTS.items()]
    cols.append(("resources", f"ARRAY<{ddl_type(CT_RESOURCE, True)}>" if spark else f"{ddl_type(CT_RESOURCE, False)}[]"))
    cols.append(("_seq", "BIGINT"))
    return cols


def text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"))


def shape_struct(v, shape):
    """A nested value to its struct shape: leaves as text, unknown members left out."""
    if not isinstance(v, dict):
        return None
    out = {}
    for k, sub in shape.items():
        x = v.get(k)
        out[k] = (None if x is None or isinstance(x, (dict, list)) else text(x)) if sub is None else shape_struct(x, sub)
    return out


def files_under(path):
    if os.path.isfile(path):
        return [path]
    out = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for f in sorted(files):
            if not f.startswith(".") and not f.endswith((".md", ".conf", ".spl", ".yml")):
                out.append(os.path.join(root, f))
    return out


def read_records(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        data = f.read()
    s = data.strip()
    if s.startswith("{") and '"Records"' in s[:200]:
        try:
            return json.loads(s)["Records"]
        except Exception:
            pass
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def prepare(case, tmp):
    """Write the case's table as NDJSON; return (path, columns or None for inference)."""
    rows = []
    raws = []
    layout = case["layout"]
    for inp in case["inputs"]:
        for p in files_under(inp):
            rows.extend(read_records(p))
            if layout == "ndjson":
                with open(p, encoding="utf-8") as f:
                    raws.extend(line.rstrip("\r\n") for line in f if line.strip())
    out = []
    for i, r in enumerate(rows):
        if layout == "ndjson":
            row = {}
            for c in case["columns"]:
                if c["name"] == "_seq":
                    continue
                if c["name"] == "_raw":
                    row["_raw"] = raws[i]
                    continue
                if c["name"] in r:
                    v = r[c["name"]]
                    row[c["name"]] = json.dumps(v, separators=(",", ":")) if c["json"] else (None if v is None else text(v))
        elif layout == "cloudtrail":
            row = {}
            for c in CT_SCALARS:
                if r.get(c) is not None and not isinstance(r[c], (dict, list)):
                    row[c] = text(r[c])
            for c in CT_JSON:
                if r.get(c) is not None:
                    row[c] = json.dumps(r[c], separators=(",", ":"))
            for k, shape in CT_STRUCTS.items():
                row[k] = shape_struct(r.get(k), shape)
            if isinstance(r.get("resources"), list):
                row["resources"] = [shape_struct(x, CT_RESOURCE) for x in r["resources"]]
        else:
            row = dict(r)
        row["_seq"] = i
        out.append(row)
    path = os.path.join(tmp, case["id"].replace("/", "_") + ".ndjson")
    with open(path, "w", encoding="utf-8") as f:
        for row in out:
            f.write(json.dumps(row) + "\n")
    return path


def canon_value(v, key):
    if v is None:
        return None
    if isinstance(v, (list, tuple)):
        vals = [canon_value(x, key) for x in v if x is not None]
        if not vals:
            return None
        return vals[0] if len(vals) == 1 else vals
    if isinstance(v, bool):
        return "true" if v else "false"
    if hasattr(v, "is_integer") or isinstance(v, int) or type(v).__name__ == "Decimal":
        f = float(v)
        if math.isfinite(f) and f == math.floor(f) and abs(f) < 1e15:
            return str(int(f))
        return repr(f)
    if key == "_time" and isinstance(v, str):
        try:
            return canon_value(datetime.datetime.fromisoformat(v).timestamp(), key)
        except ValueError:
            return v
    return str(v)


def canon(pairs):
    out = []
    for k, v in pairs:
        c = canon_value(v, k)
        if c is not None:
            out.append([k, c])
    return json.dumps(out)


def spelunk_rows(lines):
    rows = []
    for line in lines:
        obj = json.loads(line)
        rows.append(canon(obj.items()))
    return rows


def run_duckdb(cases, tmp):
    import duckdb
    results = {}
    for case in cases:
        con = duckdb.connect()
        try:
            path = prepare(case, tmp)
            table = case["table"]
            if case["layout"] == "ndjson":
                cols = {c["name"]: "VARCHAR" for c in case["columns"] if c["name"] != "_seq"}
                cols["_seq"] = "BIGINT"
                con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_ndjson(?, columns={json.dumps(cols)})".replace('"', "'"), [path])
            elif case["layout"] == "cloudtrail":
                cols = {n: t for n, t in ct_columns(False)}
                spec = "{" + ", ".join(f"'{n}': '{t}'" for n, t in cols.items()) + "}"
                con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_ndjson(?, columns={spec})", [path])
            else:
                con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_ndjson(?, sample_size=-1)", [path])
            cur = con.execute(case["sql"])
            names = [d[0] for d in cur.description]
            rows = [canon(zip(names, r)) for r in cur.fetchall()]
            results[case["id"]] = {"sql": rows, "error": None}
        except Exception as e:  # the error is the result
            results[case["id"]] = {"sql": None, "error": f"{type(e).__name__}: {e}"}
        finally:
            con.close()
    return results


def run_spark(cases, tmp):
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[1]").appName("spelunk-sql-differential")
             .config("spark.sql.caseSensitive", "true")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "1")
             .config("spark.driver.memory", "768m")
             # small inputs: planning and code generation dominate, not data
             .config("spark.sql.adaptive.enabled", "false")
             .config("spark.sql.codegen.wholeStage", "false")
             .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    results = {}
    for case in cases:
        try:
            path = prepare(case, tmp)
            if case["layout"] == "ndjson":
                cols = [(c["name"], "STRING") for c in case["columns"] if c["name"] != "_seq"] + [("_seq", "BIGINT")]
                ddl = ", ".join(f"`{n}` {t}" for n, t in cols)
                df = spark.read.schema(ddl).json(path)
            elif case["layout"] == "cloudtrail":
                ddl = ", ".join(f"`{n}` {t}" for n, t in ct_columns(True))
                df = spark.read.schema(ddl).json(path)
            else:
                df = spark.read.option("samplingRatio", "1.0").json(path)
            df.createOrReplaceTempView(case["table"])
            res = spark.sql(case["sql"])
            names = res.columns
            rows = [canon(zip(names, list(r))) for r in res.collect()]
            results[case["id"]] = {"sql": rows, "error": None}
        except Exception as e:
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            results[case["id"]] = {"sql": None, "error": f"{type(e).__name__}: {msg[:500]}"}
    spark.stop()
    return results


def main():
    engine, manifest = sys.argv[1], sys.argv[2]
    with open(manifest, encoding="utf-8") as f:
        cases = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        results = run_duckdb(cases, tmp) if engine == "duckdb" else run_spark(cases, tmp)
    for case in cases:
        results[case["id"]]["spelunk"] = spelunk_rows(case["spelunk"])
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
