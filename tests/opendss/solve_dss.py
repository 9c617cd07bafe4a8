#!/usr/bin/env python3
"""Solve an OpenDSS script with opendssdirect.py and print results as JSON.

Usage: python solve_dss.py FILE.dss

The .dss file is expected to contain its own solve settings and `Solve`, e.g.
    set mode=snap tolerance=1e-12 maxiterations=1000
    solve

Stdout (single JSON object):
    {"converged": true,
     "buses": {"<bus name, lowercase>": <phase-1 |V_ln| in volts>, ...},
     "losses_w": <total P losses of all PD elements, W>,
     "losses_var": <total Q losses of all PD elements, var>}

`losses_*` come from Circuit.Losses(): lines + transformers (incl. no-load
loss); Vsource internal impedances and loads are excluded.

Exit codes: 0 ok; 1 solution did not converge (or no solve was run);
2 usage error, opendssdirect missing, compile/solve error.
"""
import json
import math
import os
import sys


def fail(msg, code=2):
    sys.stderr.write(f"solve_dss.py: {msg}\n")
    sys.exit(code)


def main(argv):
    if len(argv) != 2:
        fail("usage: python solve_dss.py FILE.dss")
    path = os.path.abspath(argv[1])
    if not os.path.isfile(path):
        fail(f"no such file: {path}")
    if '"' in path:
        fail(f"path must not contain double quotes: {path}")

    try:
        import opendssdirect as dss
    except Exception as e:  # ImportError, or a broken native backend
        fail(f"cannot import opendssdirect ({e}); install with: pip install opendssdirect.py")

    old_cwd = os.getcwd()
    try:
        # Relative paths inside the .dss file resolve against its own directory.
        os.chdir(os.path.dirname(path))
        dss.Text.Command("clear")
        dss.Text.Command(f'redirect "{path}"')
    except Exception as e:  # dss.DSSException for compile/solve errors
        fail(f"OpenDSS error while running {path}: {e}")
    finally:
        os.chdir(old_cwd)

    try:
        converged = bool(dss.Solution.Converged())
        iterations = dss.Solution.Iterations()
        if not converged:
            fail(
                f"solution did not converge (iterations={iterations}, "
                f"maxiterations={dss.Solution.MaxIterations()}, "
                f"tolerance={dss.Solution.Convergence()}); "
                "did the file run `Solve`?",
                code=1,
            )

        buses = {}
        for name in dss.Circuit.AllBusNames():
            dss.Circuit.SetActiveBus(name)
            nodes = list(dss.Bus.Nodes())
            if 1 not in nodes:
                sys.stderr.write(f"solve_dss.py: warning: bus {name} has no node 1; skipped\n")
                continue
            vma = dss.Bus.VMagAngle()  # [|V| (V, line-to-neutral), angle (deg)] per node
            buses[name.lower()] = float(vma[2 * nodes.index(1)])

        losses = dss.Circuit.Losses()  # [W, var]
        out = {
            "converged": True,
            "buses": buses,
            "losses_w": float(losses[0]),
            "losses_var": float(losses[1]),
        }
    except SystemExit:
        raise
    except Exception as e:
        fail(f"OpenDSS error while reading results: {e}")

    bad = [k for k, v in buses.items() if not math.isfinite(v)]
    if bad or not all(math.isfinite(out[k]) for k in ("losses_w", "losses_var")):
        fail(f"non-finite results (buses: {bad[:5]}, losses: {losses})", code=1)

    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
