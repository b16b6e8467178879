"""The benchmark scripts run end to end on tiny data and print every row that benchmarks/RESULTS.md reports.

No timing is asserted (machines are shared and noisy): only that each script works and reports what
it promises, so that `python benchmarks/...` in the README keeps working.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

NUMBER = r"\d+(?:\.\d+)?"


def test_bench_epoch_prints_every_method_the_targets_and_the_floors(run_benchmark: Callable[..., str]) -> None:
    output = run_benchmark("bench_epoch.py", "--scale", "0.001", "--repeat", "1", "--steps", "40")
    for section in ("## 1,000 × 20", "## 1,000 × 100"):
        assert section in output
    methods = ["X @ w (one sequential read)", "X @ w, BLAS on one thread", "read X in a shuffled order (floor)",
               "read X in shuffle=blocks order (floor)", "read X in a shuffled order, 2 threads",
               "read X in shuffle=blocks order, 2 threads", "shuffle: compiled Fisher–Yates", "shuffle: blocks order",
               "SGDRegressor.fit, max_iter=1", "compiled kernel alone, shuffle=epoch",
               "compiled kernel alone, shuffle=blocks", "sgdcore.train, numba, shuffle=epoch",
               "sgdcore.train, numba, shuffle=blocks", "compiled kernel alone, 2 threads, shuffle=epoch",
               "compiled kernel alone, 2 threads, shuffle=blocks", "sgdcore.train, numba, 2 threads, shuffle=epoch",
               "sgdcore.train, numba, 2 threads, shuffle=blocks", "sgdcore NumPy reference (backend=numpy)",
               "naive D2L NumPy loop"]
    for method in methods:
        rows = [line for line in output.splitlines() if line.startswith(method)]
        per_dataset = 1 if method.startswith(("X @ w", "read X", "shuffle:", "SGDRegressor")) else 3
        assert len(rows) == 2 * per_dataset, (method, rows)
        for row in rows:
            seconds = float(row[len(method):].split()[1])  # printed to 0.1 ms: 0 on data this small
            assert seconds >= 0, row
    steps_in_cache = re.findall(
        r"a step on data in cache \(batch 32, (\d+) features\): (" + NUMBER + r") µs on one thread, (" + NUMBER
        + r") µs on 2: their meeting costs about (-?" + NUMBER + r") µs a step", output)
    assert [features for features, *_ in steps_in_cache] == ["20", "100"], steps_in_cache
    for _, one, two, meeting in steps_in_cache:  # three figures, each rounded to 0.01 µs
        assert float(meeting) == pytest.approx(float(two) - float(one) / 2, abs=0.02)
    # The naive loop at batch size 1 takes minutes per epoch at full size: timed over --steps, extrapolated.
    assert "extrapolated from 40 steps" in output
    targets = re.findall(r"\[\s*(met|NOT MET)\] (.+): (" + NUMBER + r") \(([≤≥]) (" + NUMBER + r")\)", output)
    # per data set: 9 on one thread, 8 on two (none at batch size 1, which more threads only slow down)
    assert len(targets) == 2 * (9 + 8), targets
    assert sum(", 2 threads" in name for _, name, *_ in targets) == 2 * 8
    for verdict, _, value, sign, limit in targets:
        if abs(float(value) - float(limit)) > 0.005:  # the value is printed to two decimals
            holds = float(value) <= float(limit) if sign == "≤" else float(value) >= float(limit)
            assert (verdict == "met") == holds
    floors = re.findall(r"shuffle=(epoch|blocks): (" + NUMBER + r") \+ (" + NUMBER + r") \+ 2 × (" + NUMBER
                        + r") = (" + NUMBER + r") s", output)
    assert [floor[0] for floor in floors] == ["epoch", "blocks"] * 2
    for _, shuffle, read, loss_pass, total in floors:  # four figures, each rounded to 0.1 ms
        assert float(total) == pytest.approx(float(shuffle) + float(read) + 2 * float(loss_pass), abs=2.5e-4)


def test_bench_csv_compares_every_way_of_reading_the_same_file(run_benchmark: Callable[..., str]) -> None:
    output = run_benchmark("bench_csv.py", "--rows", "2000", "--cols", "5")
    for way in "abcdefg":
        assert re.search(rf"^\({way}\) .+ {NUMBER}s +{NUMBER}× +-?\d+", output, re.MULTILINE), way
    assert re.search(rf"^\(g\) .+parse_upload {NUMBER} s \+ dataset_from_frame {NUMBER} s; the budget's estimate "
                     rf"{NUMBER} MB", output, re.MULTILINE)
    chinese = run_benchmark("bench_csv.py", "--rows", "2000", "--cols", "5", "--encoding", "gbk")
    assert "(Chinese column names in GBK; pandas told the encoding)" in chinese
    assert all(re.search(rf"^\({way}\) .+ {NUMBER}s +{NUMBER}×", chinese, re.MULTILINE) for way in "abcdefg")


def test_bench_lock_times_each_step_s_longest_hold_of_python_s_lock_against_the_floor(
    run_benchmark: Callable[..., str],
) -> None:
    output = run_benchmark("bench_lock.py", "--rows", "20000", "--features", "5", "--repeats", "1")
    assert "20,000 rows × 5 features, 1 runs of each step" in output
    steps = ["nothing (the floor)", "make the data (sgdcore.synthetic)", "split, standardise, solve (make_problem)",
             "closed form (sgdcore.closed_form, folded)", "LinearRegression on every row", "scipy.linalg.lstsq",
             "numpy.linalg.lstsq", "Xᵀ X (BLAS)"]
    for step in steps:
        assert re.search(rf"^{re.escape(step)} +{NUMBER} s +\d+ ms +\d+× +\d+%$", output, re.MULTILINE), step
    assert re.search(r"^nothing \(the floor\) +[\d.]+ s +\d+ ms +1× ", output, re.MULTILINE)


def test_bench_memory_reports_the_peak_against_the_data_and_the_compile_times(
    run_benchmark: Callable[..., str],
) -> None:
    output = run_benchmark("bench_memory.py", "--rows", "2000")
    assert re.search(rf"peak resident during train\(\) +{NUMBER} MB", output)
    assert re.search(r"\[(met|NOT MET)\] extra memory < 1 × data", output)
    assert re.search(rf"cold \(empty NUMBA_CACHE_DIR\) +warm_up\(\) +{NUMBER} s", output)
    assert re.search(rf"warm \(cache hit\) +warm_up\(\) +{NUMBER} s", output)


def test_bench_dashboard_measures_the_train_page_against_the_library_alone(run_benchmark: Callable[..., str]) -> None:
    output = run_benchmark("bench_dashboard.py", "--rows", "2000", "--epochs", "2", "--repeat", "1", "--no-browser")
    page = re.search(rf"Train page, AppTest, live charts +([\d,]+) +([\d,]+) +({NUMBER})× \(({NUMBER})–({NUMBER})\) +"
                     r"(met|NOT met)$", output, re.MULTILINE)
    assert page, output
    page_rate, alone_rate = (int(page.group(k).replace(",", "")) for k in (1, 2))
    ratio, low, high = (float(page.group(k)) for k in (3, 4, 5))
    assert ratio == pytest.approx(page_rate / alone_rate, abs=0.01)  # one pair: its own ratio, and the range
    assert low == high == ratio
    if abs(ratio - 0.8) > 0.005:  # printed to two decimals: at 0.80 the verdict can go either way
        assert (page.group(6) == "met") == (ratio >= 0.8)


def test_bench_threads_compares_one_thread_with_two_and_says_what_auto_picks(
    run_benchmark: Callable[..., str],
) -> None:
    output = run_benchmark("bench_threads.py", "--rows", "5000", "--features", "20", "--batch-sizes", "1", "512",
                           "--repeat", "1")
    rows = re.findall(rf"^5,000 × 20 +(\d+) +{NUMBER}ms +{NUMBER}ms +{NUMBER}× +(\d+)$", output, re.MULTILINE)
    assert [batch for batch, _ in rows] == ["1", "512"], output
    assert rows[0][1] == "1"  # batch size 1: one thread, always


def test_bench_verdicts_prints_each_verdict_beside_its_run_and_its_brute_force(
        run_benchmark: Callable[..., str]) -> None:
    output = run_benchmark("bench_verdicts.py", "--quick")
    rows = [line for line in output.splitlines() if line.startswith("D2L data, rate 0.001")]
    assert len(rows) == 2, output
    for row in rows:
        figures = [float(figure) for figure in re.findall(NUMBER + r"(?=ms)", row)]
        assert len(figures) == 6 and min(figures[:5]) > 0, row  # run, limits, outlook, diagnose, expected_run, brute
        run, diagnose, brute = figures[0], figures[3], max(figures[5], 0.5)
        runs, per_run, per_brute = re.search(r"ms\s+(\d+)\s+(" + NUMBER + r")×\s+(" + NUMBER + r")×", row).groups()
        # printed to 0.1 ms (the brute force to 1 ms): the ratios are the figures' own, to that precision
        assert float(per_run) == pytest.approx(diagnose / run, rel=0.2, abs=0.1), row
        assert float(per_brute) == pytest.approx(diagnose / brute, rel=0.5, abs=0.01), row
        verdict = row.split("×  ", 2)[-1]
        assert verdict.startswith("far_from_optimum: learning_rate "), row
        judged = sum(part.strip().startswith(("standardize", "momentum", "learning_rate"))
                     for part in verdict.split(": ", 1)[1].split(","))
        assert int(runs) == 2 * (1 + judged), row  # --quick: 2 seeds, the run and each judged suggestion


def test_bench_workbook_compares_every_way_of_reading_the_same_table(run_benchmark: Callable[..., str]) -> None:
    output = run_benchmark("bench_workbook.py", "--rows", "2000", "--cols", "5")
    for way in "abcde":
        assert re.search(rf"^\({way}\) .+ {NUMBER}s +{NUMBER}× +{NUMBER}× +-?\d+", output, re.MULTILINE), way
    assert re.search(rf"^\(d\) .+read {NUMBER} s \+ dataset_from_frame {NUMBER} s; the budget's estimate "
                     rf"{NUMBER} MB \({NUMBER}× the peak\)", output, re.MULTILINE)
    assert "10,000 cells" in output


def test_bench_predict_times_a_file_s_predictions_and_the_page_s_rerun_against_their_references(
        run_benchmark: Callable[..., str]) -> None:
    output = run_benchmark("bench_predict.py", "--rows", "300", "--train-rows", "200", "--repeat", "1")
    sections = {"## In Python, from the file's bytes to the predictions": [
        "scikit-learn: pandas.read_csv + Pipeline.predict (reference)", "floor: X @ w + b on the rows encoded",
        "floor: pandas.read_csv alone", "sgdcore: read_table + encode_rows + predict",
        "the page's predictions of the rows loaded"],
        "## The page's rerun with the rows in its grid (AppTest: the server's part of an edit)": [
        "bare Streamlit page: st.data_editor + st.dataframe (reference)", "the Export page, its one starting row",
        "the Export page, the file's rows in its grid"]}
    for title, names in sections.items():
        block = output.split(title + "\n", 1)[1].split("\n\n", 1)[0].splitlines()
        assert [line[:66].rstrip() for line in block] == names, block
        figures = [re.fullmatch(rf" *({NUMBER}) ms +({NUMBER})×", line[66:]) for line in block]
        assert all(figures), block
        reference = float(figures[0][1])
        assert float(figures[0][2]) == 1.0
        for figure in figures[1:]:  # each ratio is its time over the reference's, both rounded
            assert float(figure[2]) == pytest.approx(float(figure[1]) / reference, rel=0.1, abs=0.02), block
    assert "300 new rows to predict" in output
