"""Recording's cost on the live window (issue 9: at most a few percent of the frame
targets): ``python -m benchmarks.recording_cost [--json PATH]``.

The live window on builtin:bimodal variational, training at full speed, with and without
Record ▸ Start running on the whole window (GIF, default rate and width), alternating
normal, recording, normal, recording in one session; each is ``live_vs_headless`` (3
pairs of 5 s), so every row also says how fast the machine was (headless steps/s)."""

from __future__ import annotations

import argparse
import json

from benchmarks.perf_gui import live_vs_headless

KEYS = ("ratio", "frames_per_second", "frame_interval_p99_ms", "a_median", "b_median")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.recording_cost")
    parser.add_argument("--json", help="write the rows here")
    args = parser.parse_args(argv)
    rows = []
    for variant in ("normal", "recording", "normal", "recording"):
        result = live_vs_headless(3, 5.0, 1.5, variant=variant)
        row = {"variant": variant, **{key: result.get(key) for key in KEYS}}
        print(json.dumps(row), flush=True)  # a_median: live steps/s, b_median: headless
        rows.append(row)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
