"""Issue 18, point 10: the run as code. The Export page's sgdcore script, run as a script in a subprocess, prints the
last Train run's weights and bias bit for bit; the torch.optim.SGD loop is shown beside it (and only compiled here:
PyTorch is not one of the project's requirements)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import sgdcore
from ui.datasets import CSV_KEY
from ui.export import DATA_FILE, dataset_npz

ROOT = Path(__file__).resolve().parents[1]


def app(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=200)
    at.query_params.update(query)
    return at.run()


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def snippets(at: AppTest) -> tuple[str, str]:
    """The Export page's sgdcore script and torch loop."""
    at.switch_page("pages/export.py").run()
    assert not at.exception, [e.value for e in at.exception]
    codes = [code.value for code in at.code]
    ours = next(code for code in codes if code.startswith('"""The last run'))
    torch = next(code for code in codes if code.startswith('"""The same run as a torch.optim.SGD loop'))
    return ours, torch


def run_script(code: str, directory: Path) -> dict[str, object]:
    """Run ``code`` as ``run.py`` in ``directory``, as a reader would, and read what it prints."""
    (directory / "run.py").write_text(code)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "run.py"], cwd=directory, env=environment, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    printed = dict(line.split(": ", 1) for line in done.stdout.splitlines() if line.startswith(("weights:", "bias:")))
    return {"weights": np.array(ast.literal_eval(printed["weights"])), "bias": float(printed["bias"]),
            "output": done.stdout}


def assert_same_run(at: AppTest, printed: dict[str, object]) -> None:
    progress = at.session_state["train_run"]["progress"]
    assert np.array_equal(printed["weights"], progress.weights), (printed["weights"], progress.weights)
    assert printed["bias"] == progress.bias
    assert progress.message in printed["output"]


@pytest.mark.parametrize("query", [
    # Synthetic data, standardised, with a step schedule, Nesterov momentum and weight decay.
    {"n_rows": "600", "true_weights": "1.5, -2, 0.25", "noise": "0.3", "data_seed": "4", "standardize": "1",
     "test_fraction": "0.3", "learning_rate": "0.05", "batch_size": "32", "epochs": "4", "momentum": "0.9",
     "nesterov": "1", "weight_decay": "0.01", "schedule": "step", "decay_gamma": "0.7", "seed": "11"},
    # scikit-learn's diabetes data, with a cosine schedule and warm-up, an L1 penalty and early stopping.
    {"data_source": "diabetes", "standardize": "1", "learning_rate": "0.1", "batch_size": "16", "epochs": "30",
     "schedule": "cosine", "warmup_epochs": "2", "l1_penalty": "0.001", "early_stopping": "1", "tol": "0.001",
     "seed": "3"},
], ids=["synthetic", "diabetes"])
def test_the_sgdcore_script_reproduces_the_train_run_bit_for_bit(query: dict[str, str], tmp_path: Path) -> None:
    at = click(app(**query), "Train")
    ours, torch = snippets(at)
    assert_same_run(at, run_script(ours, tmp_path))
    compile(torch, "torch_loop.py", "exec")  # valid Python, run where PyTorch is installed
    assert "torch.optim.SGD(" in torch and "lr_scheduler.LambdaLR" in torch
    config = at.session_state["train_run"]["config"]
    assert f"momentum={config.momentum!r}" in torch or config.momentum == 0


def test_an_uploaded_csv_is_read_from_the_rows_offered_beside_the_script_and_a_stepped_run_stops_where_it_did(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(8)
    X = rng.normal(size=(300, 2)) * [1.0, 50.0]
    data = sgdcore.Dataset(X, X @ [0.5, 0.02] + 1 + rng.normal(0, 0.1, 300), ("a", "b"), "target")
    at = app(learning_rate="0.02", batch_size="8", epochs="5", standardize="1")
    at.session_state[CSV_KEY] = {"dataset": data, "name": "mine.csv", "key": "csv:mine"}
    at.session_state["data_source"] = "csv"
    at.run()
    click(click(at, "Step"), "Step")  # two epochs of five, paused at an epoch's end
    progress = at.session_state["train_run"]["progress"]
    assert (progress.status, progress.epoch, progress.batch_in_epoch) == ("stopped", 2, 0)
    ours, torch = snippets(at)
    assert "until_epoch=2" in ours and DATA_FILE in ours
    assert "\nfor epoch in range(2):  # the run paused after epoch 2" in torch, torch  # not the 5 epochs set
    assert [b.label for b in at.get("download_button")][-1] == f"The rows it reads ({DATA_FILE})"
    (tmp_path / DATA_FILE).write_bytes(dataset_npz(data))
    assert_same_run(at, run_script(ours, tmp_path))


def test_a_run_paused_inside_an_epoch_is_reproduced_where_it_paused(tmp_path: Path) -> None:
    # Step by one minibatch, three times: the script pauses at step 3 too (until_step), not after epoch 0.
    at = app(momentum="0.9", weight_decay="0.01")
    at.radio(key="keep_step_by").set_value("minibatch").run()
    for _ in range(3):
        click(at, "Step")
    progress = at.session_state["train_run"]["progress"]
    assert (progress.status, progress.step, progress.epoch, progress.batch_in_epoch) == ("stopped", 3, 0, 3)
    ours, torch = snippets(at)
    assert "until_step=3" in ours and "until_epoch" not in ours
    assert not [warning.value for warning in at.warning if "stops only at the end of an epoch" in warning.value]
    printed = run_script(ours, tmp_path)
    assert_same_run(at, printed)
    assert not np.array_equal(printed["weights"], progress.trajectory[0][:-1])  # not the starting point
    # The torch loop stops after the same step (torch shuffles its own rows: the same step, not the same weights).
    compile(torch, "torch_loop.py", "exec")
    assert "if step == 3:\n            break" in torch and "\n    if step == 3:" in torch, torch


def test_the_script_takes_the_kernel_and_threads_the_run_took() -> None:
    from ui.export import as_run

    problem = sgdcore.make_problem(sgdcore.synthetic(n=4000, w=list(np.linspace(-2, 2, 20)), seed=1))
    chosen = sgdcore.TrainConfig(batch_size=512, epochs=2, n_threads="auto")
    for backend, threads in (("numpy", 1), ("auto", 2)):
        *_, ran = sgdcore.train(problem.train, sgdcore.TrainConfig(batch_size=512, epochs=2, backend=backend,
                                                                   n_threads=threads))
        assert ran.n_threads == min(threads, sgdcore.usable_cores()) if backend == "auto" else ran.n_threads == 1
        again = as_run(chosen, ran)
        assert again.n_threads == ran.n_threads and (again.backend == "numpy") == (ran.backend == "numpy")
        *_, replayed = sgdcore.train(problem.train, again)
        np.testing.assert_array_equal(replayed.weights, ran.weights)
        assert replayed.bias == ran.bias


def test_the_chinese_export_page_says_the_run_and_its_table_in_chinese_and_the_files_keep_their_names() -> None:
    """The table's headers and sgdcore's "bias" in Chinese; the code and the files as they are."""
    at = app(lang="zh-CN")
    next(b for b in at.button if b.proto.type == "primary").click().run()
    ours, _ = snippets(at)
    assert ours.startswith('"""The last run')  # code stays code
    captions = [caption.value for caption in at.caption]
    assert any(caption.startswith("最近一次运行：") and "完成 3 个迭代周期（" in caption
               for caption in captions), captions
    assert list(at.dataframe[0].value.columns[:3]) == ["系数", "SGD", "闭式解"]
    assert at.dataframe[0].value["系数"].tolist() == ["x1", "x2", "偏置"]  # as the Train page's table says it
    labels = [button.label for button in at.get("download_button")]
    assert "系数（CSV）" in labels and "脚本（run.py）" in labels, labels
    at.selectbox(key="lang").set_value("en").run()
    assert any(caption.value.startswith("The last run: ") and ", finished 3 epochs (" in caption.value
               for caption in at.caption), [caption.value for caption in at.caption]
    assert list(at.dataframe[0].value.columns[:3]) == ["coefficient", "sgd", "closed_form"]
    assert at.dataframe[0].value["coefficient"].tolist() == ["x1", "x2", "bias"]


def test_the_script_writes_only_what_the_schedule_reads(tmp_path: Path) -> None:
    # The sidebar keeps a decay factor, period and power for every schedule; a constant rate reads none of them,
    # the inverse scaling its power alone: the script says what the run did, and still reproduces it bit for bit.
    at = click(app(), "Train")
    ours, _ = snippets(at)
    assert "Schedule(" not in ours, ours
    assert_same_run(at, run_script(ours, tmp_path))
    at = click(app(schedule="inverse_scaling", power_t="0.5", decay_gamma="0.7", decay_epochs="2"), "Train")
    ours, _ = snippets(at)
    assert "schedule=sgdcore.Schedule(kind='inverse_scaling', power_t=0.5)" in ours, ours
    assert_same_run(at, run_script(ours, tmp_path))



def test_the_script_takes_a_setting_the_session_no_longer_holds_at_its_default_as_the_pages_do() -> None:
    """A setting whose widget the sidebar stopped drawing (the synthetic data's, while a CSV is in use) may leave the
    session state: the pages then read its default (ui.settings.value), and the script says the same."""
    from ui.export import sgdcore_snippet

    data = sgdcore.Dataset(np.arange(40.0).reshape(20, 2), np.arange(20.0), ("a", "b"), "y")
    *_, progress = sgdcore.train(data, sgdcore.TrainConfig(epochs=1))
    script = sgdcore_snippet({"data_source": "csv"}, sgdcore.TrainConfig(epochs=1), progress, ("a", "b"), "y")
    assert "sgdcore.make_problem(data, standardize=False, test_fraction=0.2, seed=0)" in script
    script = sgdcore_snippet({}, sgdcore.TrainConfig(epochs=1), progress, ("x1", "x2"), "y")
    assert "data = sgdcore.synthetic(1000, (2.0, -3.4), 4.2, 0.01, 0)" in script


def test_the_script_reproduces_the_run_not_the_settings_refused_since(tmp_path: Path) -> None:
    """Once a data setting is refused the last data stays in use, and the script and the files reproduce the run on
    it: after 2,000,000 rows of 25 features were refused (50 million values) the script made them (0.4 GB of other
    data); after a CSV of 3 rows was, it read that CSV's rows; with "Uploaded file" chosen and none uploaded, the page
    raised a KeyError."""
    ones = ", ".join(["1"] * 25)
    at = click(app(true_weights=ones, epochs="2"), "Train")
    at.number_input(key="n_rows").set_value(2_000_000).run()
    assert at.sidebar.error  # refused, the 1,000 rows still in use
    ours, _ = snippets(at)
    assert "sgdcore.synthetic(1000, (" in ours and "2000000" not in ours
    assert_same_run(at, run_script(ours, tmp_path))

    rng = np.random.default_rng(8)
    X = rng.normal(size=(300, 2))
    data = sgdcore.Dataset(X, X @ [0.5, 2.0] + 1 + rng.normal(0, 0.1, 300), ("a", "b"), "target")
    at = app(epochs="2")
    at.session_state[CSV_KEY] = {"dataset": data, "name": "mine.csv", "key": "csv:mine"}
    at.session_state["data_source"] = "csv"
    click(at.run(), "Train")
    tiny = sgdcore.Dataset(X[:3], X[:3] @ [0.5, 2.0], ("a", "b"), "target")
    at.session_state[CSV_KEY] = {"dataset": tiny, "name": "tiny.csv", "key": "csv:tiny"}
    at.run()
    ours, _ = snippets(at)
    rows = at.session_state["_last_choice"].settings[CSV_KEY]["dataset"]
    assert rows is data  # the file offered beside the script holds the rows the run read
    (tmp_path / DATA_FILE).write_bytes(dataset_npz(rows))
    assert_same_run(at, run_script(ours, tmp_path))

    at = click(app(), "Train")
    at.session_state["data_source"] = "csv"  # chosen in the sidebar, nothing uploaded
    at.run()
    ours, _ = snippets(at)
    assert "sgdcore.synthetic(1000, (2.0, -3.4)" in ours and DATA_FILE not in ours
    assert DATA_FILE not in " ".join(b.label for b in at.get("download_button"))


def test_a_run_left_part_way_by_another_page_is_stopped_there_and_its_script_stops_there_too(tmp_path: Path) -> None:
    """A click on another page in the navigation ends the script run that trains, its last snapshot saved as under
    way: the Export page said "stopped at step N" and gave a script that trained every epoch, to another end."""
    at = click(app(epochs="5"), "Step")  # a run and its key as the page saves them, paused after epoch 1
    run = at.session_state["train_run"]
    problem = at.session_state["_last_choice"].problem
    # What the page saves while it trains: a snapshot inside epoch 2, still "running" when the click ends it there.
    under_way = next(progress for progress in sgdcore.train(
        problem.train, run["config"], test=problem.test, state=run["progress"].state, report_every=0,
        quadratic=problem.quadratic, test_quadratic=problem.test_quadratic) if progress.status == "running")
    assert under_way.epoch == 1 and under_way.batch_in_epoch > 0
    at.session_state["train_run"] = {**run, "progress": under_way}
    ours, torch = snippets(at)
    stopped = at.session_state["train_run"]["progress"]
    assert (stopped.status, stopped.step) == ("stopped", under_way.step)
    assert any(f"stopped at step {under_way.step}" in caption.value for caption in at.caption)
    assert f"until_step={under_way.step}" in ours, ours
    assert f"if step == {under_way.step}:" in torch
    printed = run_script(ours, tmp_path)  # sgdcore words the pause its own way, as after Stop: the numbers agree
    assert np.array_equal(printed["weights"], stopped.weights) and printed["bias"] == stopped.bias
    # Back on the Train page, Train continues the run from there.
    at.switch_page("pages/train.py").run()
    click(at, "Train")
    continued = at.session_state["train_run"]["progress"]
    assert (continued.status, continued.epoch) == ("finished", 5)
    assert any(caption.value.startswith(f"Continued the run from step {under_way.step}") for caption in at.caption)


def test_step_after_early_stopping_trains_one_epoch_more_of_the_epochs_set_and_the_script_goes_on_as_it_did(
    tmp_path: Path,
) -> None:
    """Step on a run that early stopping ended after 9 of 50 epochs showed "10 of 51 epochs" and gave a script of
    TrainConfig(epochs=51, tol=...) that, run from the start, stopped early again after epoch 9, at other weights."""
    at = click(app(early_stopping="1", epochs="50", noise="1"), "Train")
    converged = at.session_state["train_run"]["progress"]
    assert converged.status == "converged" and converged.epoch < 48
    before = converged
    for _ in range(2):  # and once more, from where it ended again (or paused)
        click(at, "Step")
        run = at.session_state["train_run"]
        stepped = run["progress"]
        assert (stepped.epoch, stepped.epochs, run["config"].epochs) == (before.epoch + 1, 50, 50)
        assert at.get("progress")[0].proto.text.startswith(f"{before.epoch + 1} of 50 epochs done")
        if before.status == "converged":
            assert any(caption.value.startswith(f"Continued the run from step {before.step:,}. Early stopping had "
                                                "ended it there and is still on") for caption in at.caption)
        ours, _ = snippets(at)
        assert "state=progress.state" in ours and "epochs=50" in ours, ours
        assert_same_run(at, run_script(ours, tmp_path))
        at.switch_page("pages/train.py").run()
        before = stepped


@pytest.mark.parametrize(("first_epochs", "stops"), [(40, [7]), (8, [7, 8])], ids=["one_stop", "two_stops"])
def test_a_run_continued_with_early_stopping_turned_off_is_reproduced_with_the_rule_that_stopped_it(
    first_epochs: int, stops: list[int], tmp_path: Path,
) -> None:
    """Early stopping (tol 1e-5, patience 3) ends the run after epoch 7 (of 40, or of 8, where a second Train goes on
    until the rule ends it again after epoch 8); the sidebar's switch turns it off and the run goes on to 12 epochs.
    The script's legs stop by that rule, not by the settings the run went on with (none: the first leg would train
    the 40 epochs set, to other weights)."""
    at = app(learning_rate="0.2", batch_size="32", epochs=str(first_epochs), momentum="0.9", schedule="step",
             decay_epochs="10", early_stopping="1", tol="0.00001", n_iter_no_change="3", seed="7",
             weight_decay="0.001", standardize="1", noise="0.5")
    for stop in stops:
        click(at, "Train")
        stopped = at.session_state["train_run"]["progress"]
        assert (stopped.status, stopped.epoch) == ("converged", stop)
    at.toggle(key="early_stopping").set_value(False).run()
    at.number_input(key="epochs").set_value(12).run()
    click(at, "Train")
    progress = at.session_state["train_run"]["progress"]
    assert (progress.status, progress.epoch) == ("finished", 12)
    assert any(caption.value.startswith(f"Continued the run from step {stopped.step}") for caption in at.caption)
    ours, _ = snippets(at)
    assert_same_run(at, run_script(ours, tmp_path))
    # The patience is the run's (3) throughout: only the rule's tol and the leg's epochs differ from the last config.
    assert ours.count(f"replace(config, epochs={first_epochs}, tol=1e-05)") == len(stops), ours


@pytest.mark.parametrize("first", ["finished", "paused"])
def test_a_run_that_went_on_with_early_stopping_turned_on_is_reproduced_with_no_rule_before(
    first: str, tmp_path: Path,
) -> None:
    """Trained 6 epochs without early stopping (or 5, then 3 minibatches), then on with it (tol 1e-5, patience 3):
    the rule counts from there and ends the run later than a script with the rule from the start, which stops
    after epoch 7."""
    at = app(learning_rate="0.2", batch_size="32", epochs="6" if first == "finished" else "5", momentum="0.9",
             schedule="step", decay_epochs="10", tol="0.00001", n_iter_no_change="3", seed="7",
             weight_decay="0.001", standardize="1", noise="0.5")
    click(at, "Train")
    if first == "paused":
        at.radio(key="keep_step_by").set_value("minibatch").run()
        for _ in range(3):
            click(at, "Step")
    before = at.session_state["train_run"]["progress"]
    at.toggle(key="early_stopping").set_value(True).run()
    at.number_input(key="epochs").set_value(40).run()
    click(at, "Train")
    progress = at.session_state["train_run"]["progress"]
    assert progress.status == "converged" and progress.epoch > 7, progress.message
    ours, _ = snippets(at)
    assert_same_run(at, run_script(ours, tmp_path))
    pause = "" if first == "finished" else f", until_step={before.step}"
    assert f"replace(config, epochs=6, tol=None){pause}, **forms)" in ours, ours

def test_the_configuration_file_holds_the_runs_settings_and_they_train_it_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Trained with 5 epochs, then the sidebar set to weight decay 0.5 and 9 epochs: the file's dashboard settings
    are the run's (its config's), and the dashboard opened with them trains the same run, bit for bit."""
    import ui.export

    written, config_json = [], ui.export.config_json

    def recorded(*args: object, **kwargs: object) -> str:  # the file the page offers for download
        written.append(config_json(*args, **kwargs))
        return written[-1]

    monkeypatch.setattr(ui.export, "config_json", recorded)
    at = click(app(epochs="5"), "Train")
    at.number_input(key="weight_decay").set_value(0.5).run()
    at.number_input(key="epochs").set_value(9).run()
    snippets(at)
    document = json.loads(written[-1])
    assert (document["train_config"]["epochs"], document["train_config"]["weight_decay"]) == (5, 0.0)
    assert document["dashboard_settings"] == {"epochs": "5"}, document["dashboard_settings"]
    assert document["dashboard_settings_notes"] == []
    again = click(app(**document["dashboard_settings"]), "Train")
    run, rerun = (test.session_state["train_run"]["progress"] for test in (at, again))
    assert np.array_equal(rerun.weights, run.weights) and rerun.bias == run.bias
