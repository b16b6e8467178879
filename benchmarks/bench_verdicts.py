"""What the verdicts cost: sgdcore.outlook before a run and sgdcore.diagnose after it, beside the run they judge and
the brute force they stand for.

    python benchmarks/bench_verdicts.py                      # six cases, 12 seeds of brute force each
    python benchmarks/bench_verdicts.py --quick              # two cases, 2 seeds: what the test suite runs

For each case, measured in one run on this machine (each the fastest of ``--repeat``):

- **run**: one run of ``sgdcore.train``, the run judged;
- **limits**: ``sgdcore.run_limits``, the stability limits the sidebar shows and both verdicts read;
- **outlook** and **diagnose**: what the page says before the run and after it, with what would help;
- **expected_run**: ``sgdcore.expected_run`` for the run's own settings, from its start: the expected loss and
  distance at its end, the figure each suggestion is judged by;
- **brute force**: what a test takes to check the verdict by simulation instead: ``--seeds`` runs of the engine
  with the run's settings and as many with each suggestion offered (standardisation, momentum, a larger rate).

It prints diagnose ÷ run and diagnose ÷ brute force: what a verdict costs against the run, and against measuring
what it predicts. Figures go in ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sgdcore

JUDGED = ("standardize", "momentum", "learning_rate")  # the suggestions expected_run judges


def diabetes() -> sgdcore.Dataset:
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes()
    return sgdcore.Dataset(np.ascontiguousarray(bunch.data), bunch.target.astype(np.float64),
                           tuple(bunch.feature_names))


def ill_scaled(rows: int = 20_000, features: int = 8) -> sgdcore.Dataset:
    """Features whose scales run from 0.1 to 10 (κ in the thousands), a noisy linear target."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, features)) * np.linspace(0.1, 10, features)
    return sgdcore.Dataset(X, X @ rng.normal(size=features) + rng.normal(size=rows),
                           tuple(f"x{i}" for i in range(features)), "y")


CASES: list[tuple[str, Callable[[], sgdcore.Dataset], dict]] = [
    ("D2L data, rate 0.001, 3 epochs", sgdcore.synthetic, dict(learning_rate=0.001)),
    ("D2L data, rate 0.001, cosine", sgdcore.synthetic,
     dict(learning_rate=0.001, schedule=sgdcore.Schedule("cosine"))),
    ("diabetes, batch 10, rate 0.19, 20 epochs", diabetes, dict(batch_size=10, learning_rate=0.19, epochs=20)),
    ("the same, cosine", diabetes,
     dict(batch_size=10, learning_rate=0.19, epochs=20, schedule=sgdcore.Schedule("cosine"))),
    ("the same, momentum 0.5 at rate 0.05", diabetes,
     dict(batch_size=10, learning_rate=0.05, epochs=20, momentum=0.5)),
    ("20,000 × 8 ill-scaled, batch 32, 3 epochs", ill_scaled, dict(batch_size=32, learning_rate=0.001)),
]


def fastest(function: Callable[[], object], repeat: int) -> tuple[float, object]:
    """The fastest of ``repeat`` calls, in seconds, and what the last returned."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def runs_of(problem: sgdcore.Problem, config: sgdcore.TrainConfig, seeds: int) -> None:
    for seed in range(seeds):
        for _ in sgdcore.train(problem.train, replace(config, seed=seed), report_every=1e9):
            pass


def brute_force(raw: sgdcore.Problem, standardized: sgdcore.Problem, config: sgdcore.TrainConfig,
                suggestions: tuple[sgdcore.Suggestion, ...], seeds: int) -> int:
    """The runs a simulation takes to check what the verdict offers: the run itself and each judged suggestion, over
    ``seeds`` seeds. Returns how many runs."""
    runs_of(raw, config, seeds)
    count = seeds
    for fix in suggestions:
        if fix.setting == "standardize":
            runs_of(standardized, replace(config, learning_rate=fix.learning_rate), seeds)
        elif fix.setting == "momentum":
            runs_of(raw, replace(config, momentum=fix.value, learning_rate=fix.learning_rate), seeds)
        elif fix.setting == "learning_rate":
            runs_of(raw, replace(config, learning_rate=fix.value), seeds)
        else:
            continue
        count += seeds
    return count


def described(fix: sgdcore.Suggestion) -> str:
    """A suggestion as the table prints it: ``learning_rate 0.71``, ``standardize at 0.1``, ``momentum 0.98 at
    0.87``."""
    value = "" if isinstance(fix.value, bool) else f" {fix.value:g}" if isinstance(fix.value, float | int) \
        else f" {fix.value}"
    return fix.setting + value + (f" at {fix.learning_rate:g}" if fix.learning_rate is not None else "")


def measured(name: str, data: sgdcore.Dataset, config: sgdcore.TrainConfig, seeds: int, repeat: int) -> str:
    """One case's row of the table."""
    raw, standardized = sgdcore.make_problem(data), sgdcore.make_problem(data, standardize=True)
    run_seconds, progress = fastest(lambda: list(sgdcore.train(raw.train, config))[-1], repeat)
    limits_seconds, limits = fastest(lambda: sgdcore.run_limits(raw, config), repeat)
    outlook_seconds, _ = fastest(lambda: sgdcore.outlook(raw, config, limits), repeat)
    diagnose_seconds, diagnosis = fastest(lambda: sgdcore.diagnose(raw, config, progress, limits), repeat)
    start = np.asarray(progress.trajectory[0], dtype=np.float64)  # the run's first parameters
    expected_seconds, _ = fastest(lambda: sgdcore.expected_run(
        raw.train, start, progress.step, config.learning_rate, config.batch_size,
        schedule=config.as_planned(raw.train.n_rows).schedule, **sgdcore.limit_settings(config, l1=False)), repeat)
    judged = tuple(fix for fix in diagnosis.suggestions if fix.setting in JUDGED)
    brute_seconds, runs = fastest(lambda: brute_force(raw, standardized, config, judged, seeds), 1)
    offered = ", ".join(map(described, diagnosis.suggestions)) or "nothing"
    return (f"{name:<44}{run_seconds * 1e3:>7.1f}ms{limits_seconds * 1e3:>7.1f}ms{outlook_seconds * 1e3:>7.1f}ms"
            f"{diagnose_seconds * 1e3:>8.1f}ms{expected_seconds * 1e3:>12.1f}ms{brute_seconds * 1e3:>11.0f}ms"
            f"{runs:>6}{diagnose_seconds / run_seconds:>15.1f}×{diagnose_seconds / brute_seconds:>17.3f}×  "
            f"{diagnosis.verdict}: {offered}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=12, help="seeds of the brute force, per setting")
    parser.add_argument("--repeat", type=int, default=3, help="timings of each; the fastest is kept")
    parser.add_argument("--quick", action="store_true", help="the first two cases, 2 seeds, one timing each")
    args = parser.parse_args()
    cases, seeds, repeat = (CASES[:2], 2, 1) if args.quick else (CASES, args.seeds, args.repeat)
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs; brute force: {seeds} seeds a setting")
    sgdcore.warm_up_kernel()
    header = (f"{'case':<44}{'run':>9}{'limits':>9}{'outlook':>9}{'diagnose':>10}{'expected_run':>14}"
              f"{'brute force':>13}{'runs':>6}{'diagnose ÷ run':>16}{'diagnose ÷ brute':>18}  verdict and suggestions")
    print(header)
    for name, make_data, settings in cases:
        print(measured(name, make_data(), sgdcore.TrainConfig(**settings), seeds, repeat), flush=True)


if __name__ == "__main__":
    main()
