#!/usr/bin/env python3
"""The profile `refit profile` writes, computed by Spark where the data lives.

    spark-submit scripts/spark/refit_profile.py \
        --data 's3a://lake/features/day=2026-11-23/' --edges-from model/profile.json \
        --out day.json
    spark-submit scripts/spark/refit_profile.py --table lake.features \
        --where "day = '2026-11-23'" --edges-from model/profile.json --out day.json
    refit drift-check --baseline model/profile.json --current day.json

Without --edges-from it profiles a baseline in two passes over the data: the sketches first,
then counts against quantile bins cut from the merged sketch (refit's `profile edges` rule, each
cut within the sketch's stated rank error; exact data gives refit's own cuts bit for bit):

    spark-submit scripts/spark/refit_profile.py --table lake.train --out model/profile.json

With --edges-from it profiles the baseline's features, each as the kind the baseline recorded,
against its bin edges, so the result merges with refit's own profiles (`refit profile merge`) and
drift-check compares it with the baseline. Every count is exact and equal to refit's: rows, per
bin (`cuts[k-1] <= v < cuts[k]`, outer bins open), per category (values cast to text, as
refit does), nulls, NaN and +/-inf, min and max. One DataFrame aggregation counts every numeric
feature; one group-by per categorical feature counts its categories. The quantile sketch for KS
and Wasserstein follows refit's rule (src/stats/quantile_sketch.rs): each Spark partition
sketches its values, the driver merges them; its `max_rank_error` is a bound that holds whatever
the partitioning, so the sketch may differ from refit's within it.

Spark does not hash the input files: each source's `sha256` is empty.
"""

import argparse
import json
import math
import os
import sys
import tempfile
from datetime import datetime, timezone

SKETCH_CAPACITY = 2048


# --- the quantile sketch: a port of src/stats/quantile_sketch.rs -----------------------------

def _collapse(pairs):
    values, weights = [], []
    for v, w in pairs:
        if values and values[-1] == v:
            weights[-1] += w
        else:
            values.append(v)
            weights.append(w)
    return values, weights


def _greedy_groups(weights, limit):
    groups, start, weight = [], 0, 0
    for i, w in enumerate(weights):
        if i > start and weight + w > limit:
            groups.append((start, i))
            start, weight = i, 0
        weight += w
    if start < len(weights):
        groups.append((start, len(weights)))
    return groups


def _compact(sketch, capacity=SKETCH_CAPACITY):
    values, weights = sketch["values"], sketch["weights"]
    if len(values) <= capacity:
        return sketch
    total = sum(weights)
    limit = max(1, -(-(2 * total) // (capacity - 1)))
    while True:
        groups = _greedy_groups(weights, limit)
        if len(groups) <= capacity:
            break
        limit *= 2
    kept_values, kept_weights, added = [], [], 0
    for start, end in groups:
        group = weights[start:end]
        group_total = sum(group)
        below, best, best_side = 0, start, None
        for offset, w in enumerate(group):
            side = max(below, group_total - below - w)
            if best_side is None or side < best_side:
                best, best_side = start + offset, side
            below += w
        kept_values.append(values[best])
        kept_weights.append(group_total)
        added = max(added, best_side)
    sketch["values"], sketch["weights"] = kept_values, kept_weights
    sketch["max_rank_error"] += added
    return sketch


def sketch_from_sorted(sorted_values):
    values, weights = _collapse((v, 1) for v in sorted_values)
    return _compact({
        "values": values,
        "weights": weights,
        "max_rank_error": 0,
        "min": sorted_values[0] if sorted_values else None,
        "max": sorted_values[-1] if sorted_values else None,
    })


def merge_sketches(parts):
    pairs = sorted(
        (pair for part in parts for pair in zip(part["values"], part["weights"])),
        key=lambda pair: pair[0],
    )
    values, weights = _collapse(pairs)
    mins = [p["min"] for p in parts if p["min"] is not None]
    maxs = [p["max"] for p in parts if p["max"] is not None]
    return _compact({
        "values": values,
        "weights": weights,
        "max_rank_error": sum(p["max_rank_error"] for p in parts),
        "min": min(mins) if mins else None,
        "max": max(maxs) if maxs else None,
    })


# --- bin edges from a sketch: a port of src/stats/{quantile,binning}.rs, bit for bit -----------

def _lerp(a, b, t):
    diff = b - a
    return b - diff * (1.0 - t) if t >= 0.5 else a + diff * t


def sketch_quantile(sketch, q):
    """numpy's linear quantile of the rows a sketch stands for (exact min and max at the ends)."""
    n = sum(sketch["weights"])

    def value_at(rank):
        if rank == 0 and sketch["min"] is not None:
            return sketch["min"]
        if rank == n - 1 and sketch["max"] is not None:
            return sketch["max"]
        below = 0
        for value, weight in zip(sketch["values"], sketch["weights"]):
            below += weight
            if rank < below:
                return value
        return sketch["values"][-1]

    virtual_index = (n - 1) * q
    below = math.floor(virtual_index)
    gamma = virtual_index - below
    lo = min(int(below), n - 1)
    hi = min(lo + 1, n - 1)
    return _lerp(value_at(lo), value_at(hi), gamma)


def cuts_from_sketch(sketch, buckets):
    """refit's quantile bins (`BinEdges::from_sketch`): edges at np.linspace(0, 1, buckets + 1),
    duplicates merged; a constant gets < c, == c, > c; two edges a < b get <= a and > a."""
    if not sketch["weights"]:
        return []
    step = 1.0 / buckets
    probs = [i * step for i in range(buckets + 1)]
    probs[-1] = 1.0
    edges = []
    for q in probs:
        edge = sketch_quantile(sketch, q)
        if not edges or edges[-1] != edge:
            edges.append(edge)
    if len(edges) == 1:
        return [edges[0], math.nextafter(edges[0], math.inf)]
    if len(edges) == 2:
        return [math.nextafter(edges[0], math.inf)]
    return edges[1:-1]


# --- the Spark side ---------------------------------------------------------------------------

# Spark's type names as Polars prints them, so drift-check sees no type change.
POLARS_DTYPES = {
    "double": "f64", "float": "f32", "bigint": "i64", "int": "i32", "smallint": "i16",
    "tinyint": "i8", "string": "str", "boolean": "bool", "date": "date",
}


def col(F, name):
    """A column by its exact name (dots and spaces are not paths)."""
    return F.col("`" + name.replace("`", "``") + "`")


def finite(F, column):
    c = col(F, column).cast("double")
    return (c.isNotNull() & ~F.isnan(c) & (c != float("inf")) & (c != float("-inf")))


def numeric_aggregations(F, name, key, cuts):
    """Exact counts of one numeric feature, as aggregate columns named `key` + what."""
    c = col(F, name).cast("double")
    ok = finite(F, name)
    bounds = [None] + list(cuts) + [None]
    exprs = []
    for k in range(len(cuts) + 1):
        lower, upper = bounds[k], bounds[k + 1]
        cond = ok
        if lower is not None:
            cond = cond & (c >= F.lit(lower))
        if upper is not None:
            cond = cond & (c < F.lit(upper))
        exprs.append(F.sum(F.when(cond, 1).otherwise(0)).alias(f"{key}_bin{k}"))
    exprs += [
        F.sum(F.when(col(F, name).isNull(), 1).otherwise(0)).alias(f"{key}_null"),
        F.sum(F.when(c.isNotNull() & F.isnan(c), 1).otherwise(0)).alias(f"{key}_nan"),
        F.sum(F.when(c == float("inf"), 1).otherwise(0)).alias(f"{key}_pos_inf"),
        F.sum(F.when(c == float("-inf"), 1).otherwise(0)).alias(f"{key}_neg_inf"),
        F.min(F.when(ok, c)).alias(f"{key}_min"),
        F.max(F.when(ok, c)).alias(f"{key}_max"),
    ]
    return exprs


def partition_sketches(names):
    """mapPartitions: one sketch per numeric feature of the partition's finite values."""
    def run(rows):
        columns = {name: [] for name in names}
        for row in rows:
            for name in names:
                v = row[name]
                if v is not None:
                    v = float(v)
                    if math.isfinite(v):
                        columns[name].append(v)
        yield {name: sketch_from_sorted(sorted(values)) for name, values in columns.items()}
    return run


NUMERIC_TYPES = {"double", "float", "bigint", "int", "smallint", "tinyint"}
CATEGORICAL_TYPES = {"string", "boolean"}


def planned_features(dtypes, features, exclude, categorical):
    """refit's default: every comparable column, numbers numeric, strings and booleans
    categorical (--categorical overrides); other types are skipped with a message."""
    names = features or [n for n in dtypes if n not in exclude]
    planned = []
    for name in names:
        if name not in dtypes:
            raise SystemExit(f"refit_profile: no column {name}; columns are: {', '.join(dtypes)}")
        dtype = dtypes[name]
        if name in categorical or dtype in CATEGORICAL_TYPES:
            planned.append({"name": name, "kind": "categorical"})
        elif dtype in NUMERIC_TYPES or dtype.startswith("decimal"):
            planned.append({"name": name, "kind": "numeric"})
        elif features:
            raise SystemExit(f"refit_profile: column {name} has type {dtype}, which refit "
                             "cannot compare; expected a number, a string or a boolean")
        else:
            print(f"refit_profile: skipped column {name} of type {dtype}", file=sys.stderr)
    if not planned:
        raise SystemExit("refit_profile: no features to profile; check --features/--exclude")
    return planned


def numeric_sketches(F, df, names):
    """Each numeric feature's sketch: one per Spark partition, merged on the driver."""
    sketches = {name: [] for name in names}
    if names:
        per_partition = df.select(*[col(F, n) for n in names]).rdd.mapPartitions(
            partition_sketches(names)).collect()
        for part in per_partition:
            for name, sketch in part.items():
                sketches[name].append(sketch)
    return {name: merge_sketches(parts) if parts else sketch_from_sorted([])
            for name, parts in sketches.items()}


def own_edges(F, df, planned, buckets):
    """The edges of the data's own quantile bins from its merged sketches (refit's `profile
    edges` rule): pass one of two over the data; the sketches serve the profile too."""
    names = [f["name"] for f in planned if f["kind"] == "numeric"]
    sketches = numeric_sketches(F, df, names)
    features = [dict(f, cuts=cuts_from_sketch(sketches[f["name"]], buckets))
                if f["kind"] == "numeric" else f for f in planned]
    return {"buckets": buckets, "features": features}, sketches


def profile(spark, df, baseline, sources, sketches=None):
    from pyspark.sql import functions as F

    dtypes = dict(df.dtypes)
    missing = [f["name"] for f in baseline["features"] if f["name"] not in dtypes]
    if missing:
        raise SystemExit(
            f"refit_profile: the data has no column {', '.join(missing)} that the baseline "
            f"profile has; columns are: {', '.join(dtypes)}")
    numeric = [f for f in baseline["features"] if f["kind"] == "numeric"]
    categorical = [f for f in baseline["features"] if f["kind"] == "categorical"]
    keys = {f["name"]: f"f{i}" for i, f in enumerate(numeric)}
    aggregations = [F.count(F.lit(1)).alias("rows")]
    for f in numeric:
        aggregations += numeric_aggregations(F, f["name"], keys[f["name"]], f["cuts"])
    counted = df.agg(*aggregations).collect()[0].asDict()
    rows = int(counted["rows"])

    if sketches is None:
        sketches = numeric_sketches(F, df, [f["name"] for f in numeric])

    features = []
    for f in baseline["features"]:
        name = f["name"]
        entry = {"name": name, "dtype": POLARS_DTYPES.get(dtypes[name], dtypes[name]),
                 "kind": f["kind"]}
        if f["kind"] == "numeric":
            get = lambda what: counted[f"{keys[name]}_{what}"]
            entry.update({
                "cuts": f["cuts"],
                "counts": [int(get(f"bin{k}") or 0) for k in range(len(f["cuts"]) + 1)],
                "missing": {"rows": rows, "null": int(get("null") or 0),
                            "nan": int(get("nan") or 0), "pos_inf": int(get("pos_inf") or 0),
                            "neg_inf": int(get("neg_inf") or 0)},
                "min": get("min"),
                "max": get("max"),
                "sketch": sketches[name],
            })
        else:
            text = col(F, name).cast("string")
            counts = {r["v"]: int(r["n"]) for r in
                      df.groupBy(text.alias("v")).count().withColumnRenamed("count", "n")
                      .collect() if r["v"] is not None}
            nulls = df.filter(col(F, name).isNull()).count()
            entry.update({
                "counts": dict(sorted(counts.items())),
                "missing": {"rows": rows, "null": nulls, "nan": 0, "pos_inf": 0, "neg_inf": 0},
            })
        features.append(entry)

    return {
        "format": "refit-profile",
        "schema": 1,
        "refit_version": "spark:" + spark.version,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "rows": rows,
        "buckets": baseline["buckets"],
        "sources": sources,
        "features": features,
    }


def file_sources(df, columns):
    """One source per input file with its rows (Spark does not hash files)."""
    from pyspark.sql import functions as F

    per_file = (df.select(F.input_file_name().alias("path")).groupBy("path").count().collect())
    return sorted(({"path": r["path"], "rows": int(r["count"]), "columns": columns, "sha256": ""}
                   for r in per_file), key=lambda s: s["path"])


def write_atomic(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".refit-profile-")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", action="append", help="Parquet file or directory (repeat)")
    source.add_argument("--table", help="a table in Spark's catalog")
    parser.add_argument("--where", help="a SQL filter, e.g. \"day = '2026-11-23'\"")
    parser.add_argument("--edges-from", help="a baseline profile.json or `refit profile edges` "
                        "output; without it, the data's own quantile bins from its sketches")
    parser.add_argument("--buckets", type=int, default=10,
                        help="quantile bins without --edges-from (2 to 1000; default 10)")
    parser.add_argument("--features", type=lambda s: s.split(","), default=[],
                        help="without --edges-from: features to profile (comma-separated)")
    parser.add_argument("--exclude", type=lambda s: s.split(","), default=[],
                        help="without --edges-from: columns to leave out")
    parser.add_argument("--categorical", type=lambda s: s.split(","), default=[],
                        help="without --edges-from: columns to treat as categorical")
    parser.add_argument("--out", required=True, help="where to write the profile JSON")
    parser.add_argument("--master", help="Spark master when not run by spark-submit")
    args = parser.parse_args(argv)

    baseline = None
    if args.edges_from:
        if args.features or args.exclude or args.categorical:
            parser.error("--edges-from decides the features; drop --features/--exclude/"
                         "--categorical")
        try:
            with open(args.edges_from) as f:
                baseline = json.load(f)
        except (OSError, ValueError) as e:
            raise SystemExit(f"refit_profile: {args.edges_from}: {e}")
        if baseline.get("format") not in ("refit-profile", "refit-edges"):
            raise SystemExit(f"refit_profile: {args.edges_from}: not a refit profile or edges")
    elif not 2 <= args.buckets <= 1000:
        parser.error("--buckets must be 2 to 1000")

    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("refit-profile")
    if args.master:
        builder = builder.master(args.master).config("spark.ui.enabled", "false")
    spark = builder.getOrCreate()
    try:
        df = spark.table(args.table) if args.table else spark.read.parquet(*args.data)
        if args.where:
            df = df.where(args.where)
        sketches = None
        if baseline is None:
            from pyspark.sql import functions as F
            planned = planned_features(dict(df.dtypes), args.features, args.exclude,
                                       args.categorical)
            baseline, sketches = own_edges(F, df, planned, args.buckets)
        result = profile(spark, df, baseline, file_sources(df, df.columns), sketches)
    finally:
        spark.stop()
    write_atomic(args.out, json.dumps(result, indent=2) + "\n")
    print(f"refit_profile OK: {len(result['features'])} features, {result['rows']} rows -> "
          f"{args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
