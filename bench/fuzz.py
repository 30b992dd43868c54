"""The long fuzz run (issue 20): the hypothesis properties with many random inputs.

The test suite runs every fuzz property with the ``ci`` profile (a few dozen
derandomized examples each, seconds in all). This script runs the same
properties with the ``long`` profile, in rounds: each round is one pytest run
with a fresh seed and ``--examples`` inputs per property, until ``--minutes``
are spent. It prints, per property, the rounds, the inputs tried and the
failures, and saves the output of any failing round (with hypothesis's
falsifying example and its ``@reproduce_failure`` line) next to the report.

    .venv/bin/python bench/fuzz.py --minutes 10
    .venv/bin/python bench/fuzz.py --minutes 1 --examples 500 -k parser

Not a benchmark: nothing is compared with an anchor, and it does not take the
bench lock unless you wrap it in ``flock`` yourself.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUZZ_TESTS = [
    "tests/kernel/http/test_parser_fuzz.py",
    "tests/kernel/http/test_parser_h11.py",
    "tests/kernel/test_multipart_fuzz.py",
    "tests/kernel/test_decoding_fuzz.py",
    "tests/plugins/websocket/test_frames_fuzz.py",
]
_TEST = re.compile(r"^(tests/\S+::\S+):$")
_COUNTS = re.compile(r"- (\d+) passing, (\d+) failing, and (\d+) invalid")


def run_round(
    seed: int, examples: int, select: str | None, log: Path
) -> tuple[dict[str, list[int]], bool]:
    """Run the fuzz tests once; return {test: [passing, failing, invalid]} and success."""
    env = dict(os.environ, JACKFIELD_FUZZ="long", JACKFIELD_FUZZ_EXAMPLES=str(examples))
    command = [
        sys.executable,
        "-m",
        "pytest",
        *FUZZ_TESTS,
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "timeout=0",
        f"--hypothesis-seed={seed}",
        "--hypothesis-show-statistics",
    ]
    if select:
        command += ["-k", select]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    test = None
    for line in done.stdout.splitlines():
        if m := _TEST.match(line.strip()):
            test = m.group(1)
        elif (m := _COUNTS.search(line)) and test is not None:
            for i in range(3):
                counts[test][i] += int(m.group(i + 1))
    if done.returncode != 0:
        log.write_text(done.stdout + done.stderr)
    return dict(counts), done.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="time budget (default 10)")
    parser.add_argument("--examples", type=int, default=2000, help="inputs per property per round")
    parser.add_argument("-k", dest="select", help="pytest -k expression to run only some tests")
    parser.add_argument("--seed", type=int, help="first seed (default: random)")
    parser.add_argument(
        "--out", type=Path, default=Path("fuzz-failures"), help="where failing rounds go"
    )
    args = parser.parse_args()

    seed = args.seed if args.seed is not None else random.randrange(2**32)
    budget = args.minutes * 60
    started = time.monotonic()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # rounds, pass, fail, invalid
    failed_rounds: list[tuple[int, Path]] = []
    rounds = 0
    last = 0.0
    while time.monotonic() - started + last <= budget or rounds == 0:
        t0 = time.monotonic()
        log = args.out / f"round-{seed}.txt"
        if not args.out.exists():
            args.out.mkdir(parents=True)
        counts, ok = run_round(seed, args.examples, args.select, log)
        last = time.monotonic() - t0
        rounds += 1
        if not ok:
            failed_rounds.append((seed, log))
        for test, (passing, failing, invalid) in counts.items():
            row = totals[test]
            row[0] += 1
            row[1] += passing
            row[2] += failing
            row[3] += invalid
        print(f"round {rounds}: seed {seed}, {last:.0f} s, {'ok' if ok else 'FAILED'}", flush=True)
        seed = (seed + 1) % 2**32
    if not failed_rounds and args.out.exists() and not any(args.out.iterdir()):
        args.out.rmdir()

    elapsed = time.monotonic() - started
    per_round = f"{args.examples} inputs per property a round"
    print(f"\n{rounds} rounds in {elapsed / 60:.1f} min, {per_round}\n")
    print("| property | rounds | inputs | failing | invalid |\n|---|---:|---:|---:|---:|")
    for test in sorted(totals):
        r, passing, failing, invalid = totals[test]
        print(f"| `{test.split('::')[1]}` | {r} | {passing + failing} | {failing} | {invalid} |")
    inputs = sum(row[1] + row[2] for row in totals.values())
    failures = sum(row[2] for row in totals.values())
    print(f"| **all {len(totals)} properties** | {rounds} | {inputs} | {failures} | |")
    for failed_seed, log in failed_rounds:
        print(f"\nround with seed {failed_seed} failed: see {log}")
    sys.exit(1 if failed_rounds else 0)


if __name__ == "__main__":
    main()
