"""``python -m benchmarks.soak [--minutes 60] [--data builtin:digits] [--dequantizer variational]``

A long run with the window open (offscreen), training at full speed: every ``--every``
seconds the RSS of the window's process and of the training process, steps/s and frames/s;
at the end their growth and the first minute against the last.  Not part of CI or of
``python -m benchmarks`` (whose full run has a 20-minute bimodal soak): the hour on digits
is run by hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.__main__ import log
from benchmarks.perf_gui import rss_soak

SUMMARY_KEYS = ("seconds", "steps", "rss_growth_mb", "rss_window_growth_mb", "rss_training_growth_mb",
                "rss_mb_per_minute", "steps_per_s_first_minute", "steps_per_s_last_minute",
                "frames_per_second_first_minute", "frames_per_second_last_minute",
                "tick_p99_ms_first_minute", "tick_p99_ms_last_minute")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--data", default="builtin:digits")
    parser.add_argument("--dequantizer", default="variational", choices=("none", "uniform", "variational"))
    parser.add_argument("--every", type=float, default=30.0, help="seconds between samples (default %(default)s)")
    parser.add_argument("--json", metavar="PATH", help="write the summary and every sample as JSON")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.minutes > 0 or not args.every > 0:
        print("error: --minutes and --every must be positive", file=sys.stderr)
        return 2
    log(f"soak: {args.minutes:g} min of {args.data}/{args.dequantizer} with the window open, a sample every {args.every:g} s")

    def progress(sample: dict) -> None:
        log(f"  t={sample['t']:.0f}s step={sample['step']} window={sample.get('rss_window_mb', float('nan')):.1f}MB "
            f"training={sample.get('rss_training_mb', float('nan')):.1f}MB steps/s={sample['steps_per_s']:.1f} "
            f"fps={sample['frames_per_second']:.1f}")

    result = rss_soak(60.0 * args.minutes, args.every, data=args.data, dequantizer=args.dequantizer, progress=progress)
    for key in SUMMARY_KEYS:
        value = result.get(key)
        print(f"{key:34s} {value:.4g}" if isinstance(value, float) else f"{key:34s} {value}")
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {"case": f"{args.data}/{args.dequantizer}", "minutes": args.minutes, "every_s": args.every, **result}
        path.write_text(json.dumps(document, indent=1, default=float) + "\n")
        log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
