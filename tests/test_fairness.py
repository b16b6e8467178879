"""Sharing the cores between sessions' runs (ui.runner.CoreTurns), automatic threads, and the first redraw."""

from __future__ import annotations

import os
import threading
import time

import pytest

import sgdcore
from sgdcore import backends
from sgdcore.backends import AUTO_THREADS_MIN_WORK, NUMPY_BACKEND, Backend, auto_threads, training_threads
from ui import runner
from ui.runner import CoreTurns, FrameClock, in_turns, sharing_text


@pytest.fixture(autouse=True)
def idle_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's load as an idle machine's: automatic threads look at it, and this one is shared."""
    monkeypatch.setattr(backends, "_machine_load", lambda: 0.0)


def test_auto_threads_take_one_thread_below_the_work_a_second_pays_for_and_at_most_the_cores() -> None:
    assert auto_threads(1, 200, cores=8) == 1  # batch size 1: threads make it several times slower
    assert auto_threads(10, 2, cores=8) == 1  # the dashboard's default
    assert auto_threads(2 * AUTO_THREADS_MIN_WORK // 20 - 1, 20, cores=8) == 1
    assert auto_threads(2 * AUTO_THREADS_MIN_WORK // 20 + 1, 20, cores=8) == 2
    assert auto_threads(100_000, 20, cores=2) == 2
    assert auto_threads(100_000, 20, cores=1) == 1


def test_auto_threads_take_one_thread_on_a_busy_machine() -> None:
    assert auto_threads(100_000, 20, cores=2, load=0.9) == 2
    assert auto_threads(100_000, 20, cores=2, load=1.5) == 1
    assert auto_threads(100_000, 20, cores=8, load=6.0) == 8


def test_training_threads_resolve_auto_only_for_the_compiled_kernel() -> None:
    numba = Backend("numba", *NUMPY_BACKEND[1:])
    cores = sgdcore.usable_cores()
    assert training_threads(numba, "auto", batch_size=10, n_features=2) == (1, None)
    assert training_threads(numba, "auto", batch_size=100_000, n_features=20) == (min(cores, 2 if cores >= 2
                                                                                           else 1), None)
    assert training_threads(NUMPY_BACKEND, "auto", batch_size=100_000, n_features=20) == (1, None)


def test_train_config_takes_auto_threads_and_names_what_is_allowed() -> None:
    assert sgdcore.TrainConfig(n_threads="auto").n_threads == "auto"
    with pytest.raises(sgdcore.ConfigError, match=r"n_threads must be an integer ≥ 1 or 'auto'; got 'many'"):
        sgdcore.TrainConfig(n_threads="many")
    with pytest.raises(sgdcore.ConfigError, match="got 0"):
        sgdcore.TrainConfig(n_threads=0)


def test_an_auto_run_trains_as_a_one_thread_run_at_small_batches() -> None:
    data = sgdcore.synthetic(400, seed=1)
    one, auto = (list(sgdcore.train(data, sgdcore.TrainConfig(batch_size=8, n_threads=threads)))[-1]
                 for threads in (1, "auto"))
    assert one.weights.tolist() == auto.weights.tolist() and one.bias == auto.bias


def test_turns_are_first_come_first_served_and_a_run_queues_again_behind_whoever_came_meanwhile() -> None:
    turns = CoreTurns(1)
    order: list[str] = []
    long_run_holds = threading.Event()
    short_run_queued = threading.Event()

    def long_run() -> None:
        for chunk in range(3):
            with turns.turn(1):
                order.append(f"long {chunk}")
                if chunk == 0:
                    long_run_holds.set()
                    short_run_queued.wait(5)
                    time.sleep(0.05)  # the short run is waiting in the queue now, behind this turn

    def short_run() -> None:
        long_run_holds.wait(5)
        threading.Timer(0.01, short_run_queued.set).start()
        with turns.turn(1):
            order.append("short")

    threads = [threading.Thread(target=long_run), threading.Thread(target=short_run)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    # The short run got the core after one chunk of the long run, not after all three.
    assert order == ["long 0", "short", "long 1", "long 2"]


def test_a_turn_takes_at_most_every_core_and_waits_until_enough_are_free() -> None:
    turns = CoreTurns(2)
    with turns.turn(5):  # more than there are: all of them, not a wait forever
        got_one = threading.Event()

        def other() -> None:
            with turns.turn(1):
                got_one.set()

        thread = threading.Thread(target=other)
        thread.start()
        assert not got_one.wait(0.1)  # every core is taken
    assert got_one.wait(5)
    thread.join(5)


def test_a_run_is_told_how_many_others_it_takes_turns_with(monkeypatch: pytest.MonkeyPatch) -> None:
    turns = CoreTurns(1)
    monkeypatch.setattr(runner, "CORES", turns)
    told: list[int] = []
    release = threading.Event()
    other_started = threading.Event()

    def other_run() -> None:
        with turns.run(), turns.turn(1):
            other_started.set()
            release.wait(5)

    thread = threading.Thread(target=other_run)
    thread.start()
    other_started.wait(5)
    threading.Timer(0.05, release.set).start()  # this run waits for the other's turn to end
    snapshots = list(in_turns(iter(["first", "second"]), 1, told.append))
    thread.join(5)
    assert snapshots == ["first", "second"]
    assert told == [1, 0]  # it waited behind one run, then (alone) no longer
    assert sharing_text(1) == "Sharing the server with 1 other run: they train in turns, a fraction of a second each."
    assert sharing_text(0) == ""


def test_auto_takes_one_thread_while_other_runs_are_under_way(monkeypatch: pytest.MonkeyPatch) -> None:
    turns = CoreTurns(8)
    monkeypatch.setattr(runner, "CORES", turns)
    config = sgdcore.TrainConfig(batch_size=100_000, n_threads="auto")
    assert runner.run_threads(config, 20) == 8  # alone: a thread on every core, as the work pays for them
    with turns.run():
        assert runner.run_threads(config, 20) == 1
        assert runner.run_threads(sgdcore.TrainConfig(batch_size=100_000, n_threads=3), 20) == 3


def test_a_run_is_redrawn_once_it_has_lasted_a_frame_then_less_often_when_drawing_is_slow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [0.0]
    monkeypatch.setattr(runner.time, "perf_counter", lambda: now[0])
    clock = FrameClock()
    assert not clock.due()  # a run's start: nothing to draw yet that the page would not draw at its end
    now[0] = runner.FRAME_SECONDS - 0.001
    assert not clock.due()
    now[0] = runner.FRAME_SECONDS
    assert clock.due()

    def slow_draw(_: object) -> None:
        now[0] += 0.03

    clock.draw(slow_draw, None)
    assert clock.interval == pytest.approx(0.03 / runner.DRAW_SHARE)
    now[0] += 0.03 / runner.DRAW_SHARE - 0.001
    assert not clock.due()
    now[0] += 0.002
    assert clock.due()


def test_train_live_draws_a_long_run_while_it_runs_and_a_short_one_only_at_its_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner, "wait_for_kernel", lambda: None)
    monkeypatch.setattr(runner, "kernel_ready", lambda: True)
    problem = sgdcore.make_problem(sgdcore.synthetic(20_000, seed=2), test_fraction=0.2, seed=0)
    config = sgdcore.TrainConfig(batch_size=1, epochs=3, backend="numpy")
    drawn: list[sgdcore.Progress] = []
    saved: list[sgdcore.Progress] = []
    last = runner.train_live(problem, config, save=saved.append, draw=drawn.append, draw_last=False)
    assert last.status == "finished" and len(saved) > 1
    assert drawn and all(progress.status == "running" for progress in drawn)
    first = saved.index(drawn[0])
    # The first snapshot after a frame's time (its clock starts a moment before the run's: 10 ms of slack).
    assert drawn[0].elapsed_seconds >= runner.FRAME_SECONDS - 0.01
    assert first == 0 or saved[first - 1].elapsed_seconds < runner.FRAME_SECONDS

    small = sgdcore.make_problem(sgdcore.synthetic(1000, seed=2), test_fraction=0.2, seed=0)
    drawn.clear()
    short = runner.train_live(small, sgdcore.TrainConfig(epochs=3, backend="numpy"), save=lambda _: None,
                              draw=drawn.append, draw_last=False)
    assert short.status == "finished" and short.elapsed_seconds < runner.FRAME_SECONDS and drawn == []
    runner.train_live(small, sgdcore.TrainConfig(epochs=3, backend="numpy"), save=lambda _: None, draw=drawn.append)
    assert [progress.status for progress in drawn] == ["finished"]  # drawn once, at its end


def test_while_the_kernel_compiles_a_short_run_trains_on_numpy_and_a_long_one_draws_its_start_then_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problem = sgdcore.make_problem(sgdcore.synthetic(2000, seed=2), test_fraction=0.2, seed=0)
    waited: list[bool] = []
    monkeypatch.setattr(runner, "wait_for_kernel", lambda: waited.append(True))
    monkeypatch.setattr(runner, "kernel_ready", lambda: False)
    drawn: list[sgdcore.Progress] = []
    short = runner.train_live(problem, sgdcore.TrainConfig(), save=lambda _: None, draw=drawn.append)
    assert short.status == "finished" and short.backend == "numpy" and not waited
    long_run = sgdcore.TrainConfig(batch_size=1, epochs=runner.NUMPY_WHILE_COMPILING_STEPS // 1600 + 1)

    class DrawnError(Exception):
        """Raised by the first draw: only what happens before training matters here."""

    def draw(progress: sgdcore.Progress) -> None:
        drawn.append(progress)
        raise DrawnError

    drawn.clear()
    with pytest.raises(DrawnError):
        runner.train_live(problem, long_run, save=lambda _: None, draw=draw)
    assert drawn[0].step == 0 and not waited  # the starting point, drawn before waiting for the kernel


def test_heavy_work_runs_at_a_lower_priority_in_its_own_thread_only() -> None:
    seen: dict[str, int] = {}

    def session() -> None:
        thread = threading.get_native_id()
        seen["before"] = os.getpriority(os.PRIO_PROCESS, thread)
        with runner.background_priority(heavy=False):
            seen["light"] = os.getpriority(os.PRIO_PROCESS, thread)
        with runner.background_priority():
            seen["heavy"] = os.getpriority(os.PRIO_PROCESS, thread)
            seen["other thread"] = os.getpriority(os.PRIO_PROCESS, main_thread)
        seen["after"] = os.getpriority(os.PRIO_PROCESS, thread)

    main_thread = threading.get_native_id()
    worker = threading.Thread(target=session)
    worker.start()
    worker.join(5)
    assert seen["light"] == seen["before"] == seen["other thread"]
    assert seen["heavy"] == runner.BACKGROUND_NICENESS
    # Raised back where the process may (root, CAP_SYS_NICE); else the thread stays lower until it ends.
    assert seen["after"] in (seen["before"], runner.BACKGROUND_NICENESS)


def test_a_run_interrupted_by_a_click_no_longer_counts_among_the_runs_sharing_the_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = CoreTurns(1)
    monkeypatch.setattr(runner, "CORES", turns)
    monkeypatch.setattr(runner, "kernel_ready", lambda: True)
    problem = sgdcore.make_problem(sgdcore.synthetic(20_000, seed=2), test_fraction=0.2, seed=0)

    class ClickError(Exception):
        """What Streamlit raises in a script run a click interrupts."""

    def draw(progress: sgdcore.Progress) -> None:
        assert turns.running() == 1
        raise ClickError

    with pytest.raises(ClickError):
        runner.train_live(problem, sgdcore.TrainConfig(batch_size=1, epochs=3, backend="numpy"),
                          save=lambda _: None, draw=draw)
    assert turns.running() == 0
    with turns.turn(1):  # and its cores are free
        pass


def test_a_run_that_waited_for_the_kernel_is_redrawn_a_frame_after_it_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = sgdcore.make_problem(sgdcore.synthetic(2000, seed=2), test_fraction=0.2, seed=0)
    monkeypatch.setattr(runner, "wait_for_kernel", lambda: time.sleep(0.01))
    monkeypatch.setattr(runner, "kernel_ready", lambda: False)
    drawn: list[sgdcore.Progress] = []
    saved: list[sgdcore.Progress] = []

    def slow_draw(progress: sgdcore.Progress) -> None:
        drawn.append(progress)
        time.sleep(0.05)  # a slow redraw: paced after this, but the run's own first frame is not

    # A run too long to train on NumPy while the kernel compiles (here on NumPy all the same, to last long enough).
    config = sgdcore.TrainConfig(batch_size=1, epochs=40, backend="numpy")
    assert config.steps_per_epoch(1600) * config.epochs > runner.NUMPY_WHILE_COMPILING_STEPS
    runner.train_live(problem, config, save=saved.append, draw=slow_draw, draw_last=False)
    assert drawn[0].step == 0  # the starting point, while waiting
    assert drawn[1].status == "running" and drawn[1].step > 0
    first = saved.index(drawn[1])
    assert first == 0 or saved[first - 1].elapsed_seconds < runner.FRAME_SECONDS  # not held back by the slow draw


def _priority_recorder(seen: list[int], work):
    """``work``, recording the calling thread's niceness in ``seen`` each time it is called."""
    def recorded(*args, **kwargs):
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return work(*args, **kwargs)
    return recorded


@pytest.mark.parametrize("heavy", [True, False])
def test_an_upload_is_read_and_made_into_data_at_a_lower_priority_when_large(monkeypatch: pytest.MonkeyPatch,
                                                                              heavy: bool) -> None:
    """As large synthetic data is made: a large file's parsing and solving take seconds, and a light session's
    click should get the CPU first. Run in a thread of its own, as Streamlit runs each session's script."""
    import numpy as np
    import pandas as pd

    from ui import uploads

    content = pd.DataFrame(np.random.default_rng(0).normal(size=(2_000, 3)), columns=["a", "b", "y"]).to_csv(
        index=False).encode()
    # The thresholds at this small file's size, or just above it
    monkeypatch.setattr(uploads, "HEAVY_UPLOAD_BYTES", len(content) + (0 if heavy else 1))
    monkeypatch.setattr(runner, "HEAVY_VALUES", 2_000 * 2 + (0 if heavy else 1))
    seen: dict[str, int] = {}
    read: list[int] = []
    made: list[int] = []
    monkeypatch.setattr(uploads, "read_table", _priority_recorder(read, uploads.read_table))
    monkeypatch.setattr(uploads, "dataset_from_frame", _priority_recorder(made, uploads.dataset_from_frame))

    def session() -> None:
        seen["before"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        parsed = uploads.parse_upload(content, "table.csv", "file-1")
        dataset = uploads.build_dataset(parsed, "y", ["a", "b"], missing="error", non_numeric="error",
                                        infinite="error")
        seen["rows"] = dataset.X.shape[0]

    worker = threading.Thread(target=session)
    worker.start()
    worker.join(30)
    assert seen["rows"] == 2_000
    assert seen["before"] < runner.BACKGROUND_NICENESS  # else the lower priority could not be told apart
    assert read == made == [runner.BACKGROUND_NICENESS if heavy else seen["before"]], (read, made)


@pytest.mark.parametrize("heavy", [True, False])
def test_the_sidebar_solves_a_large_upload_at_a_lower_priority(monkeypatch: pytest.MonkeyPatch, heavy: bool) -> None:
    """The uploaded data in use, solved for its closed form and limits by the sidebar, is heavy work as large
    synthetic data is (the sidebar's choice of the problem, under the router)."""
    from test_app_truth import app, no_exceptions, with_dataset

    from ui import widgets

    seen: list[int] = []
    monkeypatch.setattr(widgets, "current_problem", _priority_recorder(seen, widgets.current_problem))
    monkeypatch.setattr(runner, "HEAVY_VALUES", 300 * 2 + (0 if heavy else 1))  # at the data's size or just above
    at = app()
    seen.clear()
    with_dataset(at, sgdcore.synthetic(300, seed=3), "measured.csv")
    no_exceptions(at)
    assert at.session_state["data_source"] == "csv"
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert seen and set(seen) == {runner.BACKGROUND_NICENESS if heavy else before}, seen


@pytest.mark.parametrize("heavy", [True, False])
def test_a_session_on_large_data_draws_its_pages_at_a_lower_priority(monkeypatch: pytest.MonkeyPatch,
                                                                     heavy: bool) -> None:
    """Every part of a page drawn from large data works over all its rows, not only the sidebar's solve: the router
    runs the whole page at the lower priority (here, the lesson panel above the Train page's run)."""
    from test_app_truth import app, no_exceptions

    from ui import lesson

    seen: list[int] = []
    monkeypatch.setattr(lesson, "lesson_panel", _priority_recorder(seen, lesson.lesson_panel))
    monkeypatch.setattr(runner, "HEAVY_VALUES", 1_000 * 2 + (0 if heavy else 1))  # the default data's size, or above
    at = app()
    no_exceptions(at)
    assert seen, "the Train page drew no lesson panel"
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert before < runner.BACKGROUND_NICENESS  # else the lower priority could not be told apart
    assert set(seen) == {runner.BACKGROUND_NICENESS if heavy else before}, seen


@pytest.mark.parametrize("heavy", [True, False])
def test_a_train_click_on_large_data_reruns_the_train_page_s_run_at_a_lower_priority(
    monkeypatch: pytest.MonkeyPatch, heavy: bool,
) -> None:
    """A click inside the Train page's run reruns it alone, without the router: the run's part lowers the priority
    itself. The page file is run on its own here, without the router, as a fragment's rerun is; the sidebar before it
    has put the priority back."""
    from streamlit.testing.v1 import AppTest
    from test_app_truth import ROOT, TIMEOUT, button, no_exceptions

    from ui import verdicts

    seen: list[int] = []
    monkeypatch.setattr(verdicts, "planned_run_check", _priority_recorder(seen, verdicts.planned_run_check))
    monkeypatch.setattr(runner, "HEAVY_VALUES", 1_000 * 2 + (0 if heavy else 1))
    at = AppTest.from_file(str(ROOT / "pages" / "train.py"), default_timeout=TIMEOUT).run()
    no_exceptions(at)
    button(at, "Train").click().run()
    no_exceptions(at)
    assert at.session_state["train_run"]["progress"].step > 0
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert len(seen) == 2 and set(seen) == {runner.BACKGROUND_NICENESS if heavy else before}, seen
