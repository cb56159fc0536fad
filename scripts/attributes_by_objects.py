#!/usr/bin/env python3
"""Attribute accuracy of world runs split by the number of objects in the image (dev tool: standard library only).

Joins a run's metrics_per_image.csv (written by `clipcap run` with `data.attributes`) with the world's
attributes.json and prints, per run and per object count, the number of images and the mean attribute, shape,
colour and relation accuracy over them (relation only for images with a relation). The README's breakdown of the
demo comes from `scripts/attributes_by_objects.py runs/demo-supervised runs/demo runs/demo-same`.
Usage: scripts/attributes_by_objects.py [--attributes data/world/attributes.json] RUN_DIR...
"""
import argparse
import csv
import json
import os
import sys


def per_image_rows(run, column):
    """The rows of RUN/metrics_per_image.csv, which must have `column`; else a one-line error and exit 1.
    (compare_runs.py reads runs through this too.)"""
    program = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    path = f"{run}/metrics_per_image.csv"
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        sys.exit(f"{program}: cannot read {path}: {e}")
    if not rows or column not in rows[0]:
        hint = " (was data.attributes set?)" if column.endswith("_accuracy") else ""
        sys.exit(f"{program}: {path} has no {column} column{hint}")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attributes", default="data/world/attributes.json")
    parser.add_argument("runs", nargs="+")
    args = parser.parse_args()
    try:
        with open(args.attributes) as f:
            objects = {int(i["imgid"]): len(i["objects"]) for i in json.load(f)["images"]}
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"attributes_by_objects: cannot read {args.attributes}: {e}")
    columns = ["attribute_accuracy", "shape_accuracy", "colour_accuracy", "relation_accuracy"]
    print("run,objects,images," + ",".join(columns))
    for run in args.runs:
        rows = per_image_rows(run, "attribute_accuracy")
        for count in sorted(set(objects.values())):
            group = [r for r in rows if objects.get(int(r["image_id"])) == count]
            if not group:
                continue
            means = []
            for c in columns:
                values = [float(r[c]) for r in group if r.get(c) not in (None, "", "nan")]   # nan: no relation
                means.append(f"{sum(values) / len(values):.3f}" if values else "")
            print(f"{run},{count},{len(group)}," + ",".join(means))


if __name__ == "__main__":
    main()
