"""Issue 18, point 7: the Momentum page has its own batch size (the full batch by default), and shows minibatch
noise: each run's stability limit for that batch size and the noise floor momentum raises, both sgdcore's."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

import sgdcore
from ui.datasets import ill_conditioned_problem

ROOT = Path(__file__).resolve().parents[1]


def momentum_page(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=200)
    at.query_params.update(query)
    at.run()
    at.switch_page("pages/momentum.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def train_all_three(at: AppTest) -> dict[str, sgdcore.TrainConfig]:
    next(b for b in at.button if b.label == "Train all three").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at.session_state["momentum_runs"]["configs"]


def test_the_full_batch_stays_the_default_and_the_sidebar_batch_size_does_not_reach_the_page() -> None:
    at = momentum_page(batch_size="5")
    assert at.toggle(key="momentum_page_full_batch").value is True
    assert not [box for box in at.main.number_input if box.key == "momentum_page_batch_size"]
    assert {config.batch_size for config in train_all_three(at).values()} == {1000}
    assert "Every step uses all 1000 rows" in " ".join(c.value for c in at.main.caption)


def test_a_minibatch_on_the_momentum_page_shows_its_limits_and_the_noise_floor_momentum_raises() -> None:
    # A rate low enough for every run to be stable at batch size 10, on a noisy valley.
    at = momentum_page(momentum_page_full_batch="0", momentum_page_batch_size="10", momentum_page_rate_multiple="0.2",
                       momentum_compared="0.5", momentum_page_epochs="20", noise="1")
    assert at.number_input(key="momentum_page_batch_size").value == 10
    valley = ill_conditioned_problem(100.0, 0)
    caption = " ".join(c.value for c in at.main.caption)
    assert "Minibatches of 10 rows (100 steps an epoch)" in caption
    for label, (momentum, nesterov) in {"plain gradient descent": (0.0, False), "momentum": (0.5, False),
                                        "Nesterov": (0.5, True)}.items():
        limit = sgdcore.minibatch_stability_limit(valley.train, 10, momentum=momentum, nesterov=nesterov)
        assert f"{label} {limit.learning_rate:.3g}" in caption
    configs = train_all_three(at)
    assert {config.batch_size for config in configs.values()} == {10}
    table = at.table[0].value
    floors = {}
    for label, config in configs.items():
        floor = sgdcore.noise_floor(valley.train, config.learning_rate, 10, momentum=config.momentum,
                                    nesterov=config.nesterov)
        floors[label] = floor.excess_loss
        assert table.loc[label, "noise floor: expected gap"] == f"{floor.excess_loss:.4g}"
    assert floors["momentum μ = 0.5"] > 1.5 * floors["plain gradient descent"]  # momentum amplifies the noise
    # Steps are read at the recorded points of each path: a multiple of their stride.
    stride = int(next(iter(at.session_state["momentum_runs"]["runs"].values())).trajectory_steps[1])
    reached = table["step from which ‖θ − θ*‖ stays below 1/1000 of its start"]
    assert all(text == "not reached" or int(text.replace(",", "")) % stride == 0 for text in reached)
    assert f"(every {stride:,} steps)" in caption + " ".join(c.value for c in at.main.caption)
    assert at.query_params["momentum_page_full_batch"] in ("0", ["0"])  # the share link carries the choice


def test_a_link_asking_for_more_rows_than_the_valley_has_is_lowered_and_says_so() -> None:
    at = momentum_page(momentum_page_full_batch="0", momentum_page_batch_size="5000")
    assert at.number_input(key="momentum_page_batch_size").value == 1000
    assert "Batch size lowered from 5000 to 1000, the valley's rows." in [info.value for info in at.main.info]
    assert {config.batch_size for config in train_all_three(at).values()} == {1000}

