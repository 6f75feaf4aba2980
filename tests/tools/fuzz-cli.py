#!/usr/bin/env python3
"""Throws random command lines at threadlab and reports any that crash or hang.

Usage: tests/tools/fuzz-cli.py THREADLAB_EXE [TRIES] [SEED] [JOBS]

Each try is a random mix of real commands, scenarios, options and values, values that are wrong, missing or
look like options, repeated and unknown options. A try passes when threadlab exits by itself with a
documented status (0, 1, 2, or 128+N after a signal it was sent: never here) within the time limit; a
signal death (SIGSEGV, SIGABRT...) or a hang is a finding, printed with the command line to replay it.
Outputs go to a scratch directory; runs are kept short (small parameters) so that most tries reach the
parser's every branch (an unknown option at the end stops most before they run) and a few reach a real run.
"""
import concurrent.futures
import os
import random
import shutil
import subprocess
import sys
import tempfile

SCENARIOS = ["race-counter", "lock-contention", "threads", "threads-vs-processes", "child-processes",
             "shared-memory", "queue-pipe", "pools", "sweep", "gil", "cores", "deadlock", "failures",
             "manager", "ipc-throughput", "producer-consumer", "no-such", ""]
OUTPUTS = ["--png", "--svg", "--pdf", "--trace", "--csv", "--chart", "--perfetto", "--spans-csv"]
OPTIONS = OUTPUTS + ["--set", "--size", "--json", "--help", "-h", "--version", "--list", "--bogus", "-", "--",
                     "-style", "-platform", "--child", "--set=", "--png=", "--size="]
KEYS = ["workers", "increments", "lock", "sleep_ms", "job_ms", "updates", "crash", "children", "work", "tasks",
        "executor", "delay_ms", "items", "capacity", "mechanism", "nonsense", "", "=", "workers="]
VALUES = ["0", "1", "2", "-1", "64", "65", "100000000000000000000", "1e3", "0x10", "none", "mutex", "true",
          "false", "yes", "", " ", "=", "--json", "-", "1920x1080", "100x100", "99999x99999", "x", "\u00e9",
          "a" * 300, "%s", "\\", "'"]


def random_value(rng):
    return rng.choice(VALUES) if rng.random() < 0.9 else "".join(chr(rng.randrange(1, 0x2ff)) for _ in range(5))


def random_args(rng, scratch):
    args = []
    roll = rng.random()
    if roll < 0.7:
        args += ["run", rng.choice(SCENARIOS)]
    elif roll < 0.8:
        args += ["describe", rng.choice(SCENARIOS)]
    elif roll < 0.9:
        args += [rng.choice(["list", "--list", "--help", "--version", "rn", "--child"])]
    for _ in range(rng.randrange(0, 7)):
        option = rng.choice(OPTIONS)
        args.append(option)
        if option == "--set" and rng.random() < 0.9:
            args.append(f"{rng.choice(KEYS)}={random_value(rng)}")
        elif option in OUTPUTS and rng.random() < 0.85:
            args.append(rng.choice([os.path.join(scratch, f"out{rng.randrange(3)}"), "-", "--json", "/proc/x",
                                    "/dev/null", scratch, os.path.join(scratch, "no/dir/x")]))
        elif option == "--size" and rng.random() < 0.9:
            args.append(random_value(rng))
    # A real run takes up to seconds, a refused command line milliseconds: most runs end at an unknown option
    # after everything else has been parsed and checked, so the tries stay many; a few run for real.
    if args[:1] == ["run"] and rng.random() < 0.97:
        args.append("--end-of-fuzzed-options")
    return args


def one_try(exe, seed, index, scratch):
    rng = random.Random(seed * 1_000_003 + index)
    args = random_args(rng, scratch)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    try:
        p = subprocess.run([exe] + args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=env, timeout=120)
    except subprocess.TimeoutExpired:
        return ("hang", args, b"")
    if p.returncode < 0 or p.returncode not in (0, 1, 2, 64):
        return (f"exit {p.returncode}", args, p.stderr[-400:])
    return None


def main():
    exe = sys.argv[1]
    tries = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    jobs = int(sys.argv[4]) if len(sys.argv) > 4 else os.cpu_count() or 1
    scratch = tempfile.mkdtemp(prefix="threadlab-fuzz-")
    findings = 0
    try:
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            for done, result in enumerate(pool.map(lambda i: one_try(exe, seed, i, scratch), range(tries),
                                                   chunksize=16), 1):
                if done % 1000 == 0:
                    print(f"  {done} tries, {findings} finding(s)", file=sys.stderr, flush=True)
                if result:
                    findings += 1
                    what, args, err = result
                    print(f"{what}: threadlab {' '.join(repr(a) for a in args)}\n  {err.decode(errors='replace')}",
                          flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{tries} tries, seed {seed}: {findings} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
