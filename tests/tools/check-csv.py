#!/usr/bin/env python3
"""Reads ThreadLab CSV exports with Python's csv module, as pandas and spreadsheets would, and checks that
every row has the header's columns, times are integers, and the kinds and meanings are named.

    python3 tests/tools/check-csv.py events.csv [spans.csv ...]   (--csv or --spans-csv files)
"""
import csv
import sys

EVENTS = ["time_since_start_ns", "row", "process", "pid", "worker", "tid", "worker_name", "kind", "lock", "cpu",
          "counter", "value", "value_meaning"]
SPANS = ["process", "pid", "worker", "tid", "worker_name", "state", "start_since_start_ns", "end_since_start_ns",
         "lock", "cpu", "lost_events", "inside", "inside_lock"]

failed = False
for path in sys.argv[1:]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames
        if header not in (EVENTS, SPANS):
            print(f"{path}: unexpected header {header}")
            failed = True
            continue
        rows = 0
        kinds = {}
        for row in reader:
            rows += 1
            if None in row or any(v is None for v in row.values()):
                print(f"{path}:{reader.line_num}: {len(row)} fields, not {len(header)}")
                failed = True
                break
            int(row["pid"])
            if header == EVENTS:
                int(row["time_since_start_ns"]), int(row["value"])
                kinds.setdefault((row["row"], row["kind"], row["counter"]), row["value_meaning"])
            else:
                if int(row["end_since_start_ns"]) < int(row["start_since_start_ns"]):
                    print(f"{path}:{reader.line_num}: span ends before it starts")
                    failed = True
                kinds[(row["state"], row["lock"])] = kinds.get((row["state"], row["lock"]), 0) + 1
        print(f"{path}: {rows} rows, {len(header)} columns")
        for k, v in sorted(kinds.items()):
            print(f"  {k}: {v}")
sys.exit(1 if failed else 0)
