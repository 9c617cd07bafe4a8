#!/usr/bin/env python3
"""Black-box fuzzer: mutates the example sites and runs `dctwin check` and `dctwin run` on them.

A finding is a panic (exit 101 or "panicked" on stderr), an exit code other than 0, 1 or 2, a
report holding `null` or a non-finite number, a `solver_failure` alert, or a refusal without
`file:line:col`. Usage (after `cargo build --release`):

    python3 tests/fuzz/fuzz_sites.py --minutes 20 [--seed 1] [--binary target/release/dctwin]

It prints the executions and every finding (with the mutated file kept in the output directory).
Standard library only, so it runs wherever the project builds.
"""

import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")
SPECIAL = ["0.0", "-1.0", "NaN", "inf", "-inf", "1e308", "-1e308", "1e-300", "1e-9", "1e9", "0.5", "100.0", "2.0", "-0.0"]


def mutate(text, rng):
    """One to three random mutations of the site text."""
    for _ in range(rng.randint(1, 3)):
        kind = rng.random()
        numbers = list(NUMBER.finditer(text))
        if kind < 0.55 and numbers:
            m = rng.choice(numbers)
            if rng.random() < 0.6:
                new = rng.choice(SPECIAL)
            else:
                x = float(m.group(0))
                new = repr(x * rng.choice([0.0, 0.1, 0.5, 0.9, 1.1, 2.0, 10.0, 1e3, -1.0]))
            text = text[: m.start()] + new + text[m.end():]
        elif kind < 0.65:
            # Take a random element out of service (or bring one back).
            if "in_service: false" in text and rng.random() < 0.3:
                text = text.replace(", in_service: false", "", 1)
                continue
            lines = text.split("\n")
            cand = [i for i, l in enumerate(lines) if l.strip().startswith("(id:") and l.rstrip().endswith("),")]
            if cand:
                i = rng.choice(cand)
                lines[i] = lines[i].rstrip()[:-2] + ", in_service: false),"
            text = "\n".join(lines)
        elif kind < 0.75:
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            if rng.random() < 0.5:
                del lines[i]
            else:
                lines.insert(i, lines[rng.randrange(len(lines))])
            text = "\n".join(lines)
        elif kind < 0.85:
            ids = re.findall(r"\"([A-Za-z0-9_-]+)\"", text)
            if len(ids) > 2:
                a, b = rng.sample(ids, 2)
                text = text.replace('"%s"' % a, '"%s"' % b, 1)
        elif kind < 0.92:
            i = rng.randrange(max(1, len(text)))
            text = text[:i] + rng.choice(["(", ")", ",", "\"", "x", "\n", "//", "\ufeff", "é"]) + text[i:]
        else:
            text = text[: rng.randrange(max(1, len(text)))]
    return text


def walk(value, path, problems):
    if value is None:
        problems.append("null at " + path)
    elif isinstance(value, float) and not math.isfinite(value):
        problems.append("non-finite at " + path)
    elif isinstance(value, dict):
        for k, v in value.items():
            walk(v, path + "." + k, problems)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            walk(v, "%s[%d]" % (path, i), problems)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "dctwin"))
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "dctwin-fuzz"))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    sites = sorted(os.path.join(ROOT, "sites", f) for f in os.listdir(os.path.join(ROOT, "sites")) if f.endswith(".ron"))
    texts = {s: open(s, encoding="utf-8").read() for s in sites}
    deadline = time.time() + args.minutes * 60
    checks = runs = 0
    findings = []
    located = re.compile(r"^error: .+:\d+:\d+: ", re.M)
    n = 0
    while time.time() < deadline:
        n += 1
        site = rng.choice(sites)
        text = mutate(texts[site], rng)
        path = os.path.join(args.out, "case-%d.ron" % n)
        with open(path, "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(text)
        c = subprocess.run([args.binary, "check", path], capture_output=True, text=True, errors="replace")
        checks += 1
        problem = None
        if c.returncode not in (0, 2) or "panicked" in c.stderr:
            problem = "check exit %d: %s" % (c.returncode, c.stderr[-400:])
        elif c.returncode == 2 and not located.search(c.stderr):
            problem = "refusal without file:line:col: " + c.stderr[:400]
        elif c.returncode == 0 and rng.random() < 0.35:
            step = rng.choice(["1s", "10s", "60s", "100ms"])
            per = {"1s": 1, "10s": 10, "60s": 60, "100ms": 0.1}[step]
            steps = rng.randint(1, 120)
            duration = "%dms" % int(round(steps * per * 1000))
            report = path + ".json"
            r = subprocess.run([args.binary, "run", path, "--step", step, "--duration", duration, "--report", report],
                               capture_output=True, text=True, errors="replace")
            runs += 1
            if r.returncode not in (0, 1) or "panicked" in r.stderr:
                problem = "run exit %d: %s" % (r.returncode, r.stderr[-400:])
            else:
                with open(report, encoding="utf-8") as f:
                    raw = f.read()
                try:
                    data = json.loads(raw)
                except ValueError as e:
                    problem = "report is not JSON: %s" % e
                    data = None
                if data is not None:
                    bad = []
                    walk(data, "report", bad)
                    if any(a.get("quantity") == "solver_failure" for a in data.get("alerts", [])):
                        bad.append("solver_failure alert")
                    if bad:
                        problem = "; ".join(bad[:5])
                os.remove(report)
        if problem:
            findings.append((path, problem))
            print("FINDING", path, problem, flush=True)
        else:
            os.remove(path)
    print("executions: %d check, %d run; findings: %d" % (checks, runs, len(findings)))
    for path, problem in findings:
        print(" ", path, problem)
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()
