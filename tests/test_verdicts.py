"""ui.verdicts without a browser: the wording of each rate check and verdict, and that every number it asks
the user to set is one the dashboard can set."""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from shown_texts import english

import sgdcore
from ui import charts, verdicts
from ui.i18n import text_in


@pytest.fixture(scope="module")
def problem() -> sgdcore.Problem:
    return sgdcore.make_problem(sgdcore.synthetic(n=1000, seed=0), test_fraction=0.2)


def check(problem: sgdcore.Problem, config: sgdcore.TrainConfig) -> verdicts.Message:
    return verdicts.rate_check(sgdcore.check_learning_rate(problem, config), config)


def test_a_stable_rate_is_placed_against_the_limit_of_its_batch_size(problem) -> None:
    config = sgdcore.TrainConfig(learning_rate=0.03, batch_size=10)
    limit = sgdcore.run_limits(problem, config).minibatch.learning_rate
    message = check(problem, config)
    assert (message.tone, message.suggestions) == ("info", ())
    assert message.text == f"Learning rate 0.03 is {0.03 / limit:.2g}× the stability limit {limit:.3g} for batch " \
                           "size 10: stable."
    slow = check(problem, replace(config, learning_rate=1e-4))
    assert slow.text.endswith(": stable, but slow: it covers little ground per step.")


def test_a_rate_near_the_limit_warns_of_oscillation_and_offers_half_the_limit(problem) -> None:
    limits = sgdcore.run_limits(problem, sgdcore.TrainConfig(batch_size=800))
    config = sgdcore.TrainConfig(learning_rate=0.95 * limits.full_batch, batch_size=800)
    message = check(problem, config)
    half = sgdcore.round_down(limits.full_batch / 2)
    assert message.tone == "warning" and "the full batch: so close that" in message.text
    assert message.suggestions == (sgdcore.Suggestion("learning_rate", half),)


def test_the_limit_text_says_which_limit_and_when_it_is_only_a_bound(problem) -> None:
    config = sgdcore.TrainConfig(batch_size=10, momentum=0.5, weight_decay=0.1)
    limits = sgdcore.run_limits(problem, config)
    assert verdicts.limit_text(limits, config) == (
        f"Stability limit {limits.minibatch.learning_rate:.3g} at batch size 10; {limits.full_batch:.3g} with the "
        "full batch (with momentum, weight decay).")
    bound = replace(limits, minibatch=replace(limits.minibatch, kind="lower_bound"))
    assert "at least" in verdicts.limit_text(bound, config) and "lower bound" in verdicts.limit_text(bound, config)
    full = sgdcore.TrainConfig(batch_size=800)
    assert verdicts.limit_text(sgdcore.run_limits(problem, full), full).startswith(
        "Stability limit 1.84 at the full batch of 800 rows")


def test_suggestions_the_dashboard_cannot_set_are_not_offered() -> None:
    too_small = sgdcore.Suggestion("learning_rate", 2.6e-12)
    too_many = sgdcore.Suggestion("epochs", 15_200)
    standardise = sgdcore.Suggestion("standardize", True, 0.72)
    assert verdicts.settable_suggestions((too_small, too_many, standardise)) == (
        sgdcore.Suggestion("epochs", 10_000), standardise)


@pytest.mark.parametrize(("suggestion", "label", "state"), [
    (sgdcore.Suggestion("learning_rate", 0.018), "Use learning rate 0.018", {"learning_rate": 0.018}),
    (sgdcore.Suggestion("standardize", True, 0.72), "Standardise at learning rate 0.72",
     {"standardize": True, "learning_rate": 0.72}),
    (sgdcore.Suggestion("momentum", 0.97, 0.037), "Use momentum 0.97 at learning rate 0.037",
     {"momentum": 0.97, "learning_rate": 0.037}),
    (sgdcore.Suggestion("batch_size", 40), "Use batch size 40", {"batch_size": 40}),
    (sgdcore.Suggestion("schedule", "inverse_scaling"), "Use the inverse scaling schedule",
     {"schedule": "inverse_scaling"}),
    (sgdcore.Suggestion("l1_penalty", 1.3), "Lower the L1 penalty to 1.3", {"l1_penalty": 1.3}),
    (sgdcore.Suggestion("epochs", 10_000), "Use 10,000 epochs", {"epochs": 10_000}),
])
def test_each_suggestion_is_a_button_that_sets_the_settings_it_names(suggestion, label, state) -> None:
    assert verdicts.button_label(suggestion) == label
    applied: dict = {}
    verdicts.apply_suggestion(applied, suggestion)
    assert applied == state


def test_the_noise_floor_is_a_named_line_on_the_loss_chart_with_a_spec_that_does_not_change_as_the_run_goes(
        problem) -> None:
    config = sgdcore.TrainConfig(learning_rate=0.1, batch_size=1)
    floor = sgdcore.noise_floor(problem.train, 0.1, 1)
    start = list(sgdcore.train(problem.train, config, test=problem.test, until_epoch=0))[-1]
    end = list(sgdcore.train(problem.train, config, test=problem.test))[-1]
    specs = [charts.loss_chart(progress, problem.optimum_loss, noise_floor=floor).to_dict()
             for progress in (start, end)]
    rules = next(rows for rows in specs[0]["datasets"].values() if rows and "line" in rows[0])
    assert [(row["line"], row["loss"]) for row in rules] == [
        ("closed-form loss", pytest.approx(problem.optimum_loss)), (charts.NOISE_FLOOR, pytest.approx(
            floor.expected_loss))]
    legend = [layer for layer in specs[0]["layer"] if "strokeDash" in layer.get("encoding", {})]
    assert legend and legend[0]["encoding"]["strokeDash"]["scale"]["domain"] == ["closed-form loss",
                                                                                 charts.NOISE_FLOOR]
    for spec in specs:
        spec.pop("datasets")
        for layer in spec["layer"]:
            layer.pop("data", None)
    assert specs[0] == specs[1]


def test_short_status_is_the_verdict_in_a_few_words(problem) -> None:
    from ui.runner import short_status

    config = sgdcore.TrainConfig(learning_rate=1e-4, batch_size=100, epochs=1)
    progress = list(sgdcore.train(problem.train, config))[-1]
    diagnosis = sgdcore.diagnose(problem, config, progress)
    assert short_status(progress) == "finished"
    distance = diagnosis.relative_distance
    assert short_status(progress, diagnosis) == f"finished: far from the optimum, {distance:.0%} away"
    assert np.isfinite(diagnosis.relative_distance)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(n=st.integers(20, 80), d=st.integers(1, 3), seed=st.integers(0, 1000), batch_fraction=st.floats(0.0, 1.0),
       multiple=st.floats(0.5, 2.0), momentum=st.sampled_from([0.0, 0.0, 0.5]))
def test_the_page_never_calls_a_rate_stable_that_diverges_for_most_seeds(
        n: int, d: int, seed: int, batch_fraction: float, multiple: float, momentum: float) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.3, 3.0, size=d) + rng.normal(size=d)
    y = X @ rng.normal(size=d) + rng.normal(size=n)
    problem = sgdcore.make_problem(sgdcore.Dataset(X, y, tuple(f"x{i}" for i in range(d))))
    batch_size = 1 + int(batch_fraction * (n - 1))
    config = sgdcore.TrainConfig(batch_size=batch_size, epochs=max(3, 2000 * batch_size // n), momentum=momentum)
    limits = sgdcore.run_limits(problem, config)
    config = replace(config, learning_rate=multiple * limits.minibatch.learning_rate)
    message = verdicts.rate_check(sgdcore.check_learning_rate(problem, config, limits), config)
    diverged = sum(list(sgdcore.train(problem.train, replace(config, seed=s), report_every=1e9))[-1].status
                   == "diverged" for s in range(5))
    if ": stable" in message.text:
        assert message.tone == "info" and diverged <= 2, (message.text, diverged)
    if diverged >= 3:
        assert message.tone == "warning" and ("expect divergence" in message.text or "may diverge" in message.text), (
            message.text)


@pytest.fixture
def chinese(monkeypatch) -> None:
    """ui.verdicts worded in Chinese, as on a page with lang=zh-CN."""
    monkeypatch.setattr(verdicts, "t", lambda key, **fields: text_in("zh-CN", key, **fields))
    monkeypatch.setattr(verdicts, "tn", lambda key, count, **fields: text_in(
        "zh-CN", f"{key}.{'one' if count == 1 else 'other'}", count=count, **fields))


def verdict_of(problem: sgdcore.Problem, config: sgdcore.TrainConfig) -> tuple[verdicts.Message, sgdcore.Progress]:
    progress = list(sgdcore.train(problem.train, config, test=problem.test))[-1]
    limits = sgdcore.run_limits(problem, config)
    diagnosis = sgdcore.diagnose(problem, config, progress, limits)
    return verdicts.run_verdict(diagnosis, progress, problem, config), progress


@pytest.mark.parametrize(("settings_", "verdict_word"), [
    ({"learning_rate": 0.03}, "已到达闭式解"),  # finished at the optimum
    ({"learning_rate": 1e-4, "batch_size": 100, "epochs": 1}, "还很远"),  # far from the optimum
    ({"learning_rate": 50.0, "batch_size": 800}, "发散"),  # diverged, above the full-batch limit
    ({"learning_rate": 1.3, "batch_size": 10}, ""),  # near the minibatch limit: whatever it says, in Chinese
    ({"learning_rate": 0.1, "batch_size": 1, "epochs": 2}, ""),  # minibatch noise
])
def test_every_verdict_reads_in_chinese_with_the_runs_numbers(problem, chinese, settings_, verdict_word) -> None:
    config = sgdcore.TrainConfig(**settings_)
    message, progress = verdict_of(problem, config)
    assert verdict_word in message.text and not english(message.text), message.text
    if progress.status == "diverged":
        assert message.text.startswith(f"在第 {progress.diverged_at_step} 步发散"), message.text
    else:
        assert message.text.startswith(f"完成 {progress.epochs} 个迭代周期。{progress.step:,} 步，"), message.text
    for suggestion in message.suggestions:
        assert not english(verdicts.button_label(suggestion)), verdicts.button_label(suggestion)
    limits = sgdcore.run_limits(problem, config)
    for text in (verdicts.limit_text(limits, config), check(problem, config).text, verdicts.short_text(progress)):
        assert not english(text), text
    assert "稳定性上限" in verdicts.limit_text(limits, config)


def test_the_suggestion_buttons_and_the_comparison_warning_read_in_chinese(problem, chinese) -> None:
    labels = [verdicts.button_label(suggestion) for suggestion in (
        sgdcore.Suggestion("learning_rate", 0.018), sgdcore.Suggestion("standardize", True, 0.72),
        sgdcore.Suggestion("momentum", 0.97, 0.037), sgdcore.Suggestion("batch_size", 40),
        sgdcore.Suggestion("schedule", "inverse_scaling"), sgdcore.Suggestion("l1_penalty", 1.3),
        sgdcore.Suggestion("epochs", 10_000))]
    assert labels == ["使用学习率 0.018", "标准化，学习率 0.72", "使用动量 0.97，学习率 0.037", "使用批量大小 40",
                      "使用反比缩放调度", "把 L1 惩罚降到 1.3", "使用 10,000 个迭代周期"]
    limit = sgdcore.run_limits(problem, sgdcore.TrainConfig(batch_size=10)).minibatch
    config = sgdcore.TrainConfig(batch_size=10)
    warning = verdicts.comparison_check({f"η = {rate:g}": (replace(config, learning_rate=rate), limit)
                                         for rate in (2.0, 1.3, 0.1)}, problem.train.n_rows)
    # Under the full-batch heading, the ratio to the full batch's limit (it was the batch size's, under that heading)
    ratio, near = f"{2 / limit.full_batch:.3g}", f"{1.3 / limit.learning_rate:.3g}"
    assert warning.text == (
        "超过全批量稳定性上限，最陡的方向每一步都在增大：这些训练会发散，超出越多发散得越早："
        f"η = 2：全批量时的上限 {limit.full_batch:.3g} 的 {ratio} 倍。"
        f"接近上限，预计会振荡：η = 1.3：批量大小为 10 时的上限 {limit.learning_rate:.3g} 的 {near} 倍。"), warning.text
    assert limit.full_batch < 2  # the full batch's limit crossed: divergence certain


def test_just_above_the_minibatch_limit_the_page_says_a_run_may_diverge_not_that_it_will() -> None:
    """The minibatch limit is where the mean squared error stops staying bounded, not where runs start to blow up:
    on the default data at batch size 10, learning rate 1.6 is 1.1× the limit and every seed tried settles. The
    warning says a run may diverge; further above the limit runs do (test above)."""
    problem = sgdcore.make_problem(sgdcore.synthetic(1000), standardize=False, test_fraction=0.2, seed=0)
    config = sgdcore.TrainConfig(batch_size=10, learning_rate=1.6, epochs=50)
    limits = sgdcore.run_limits(problem, config)
    assert 1.05 < config.learning_rate / limits.minibatch.learning_rate < 1.15 and limits.full_batch > 1.6
    message = verdicts.rate_check(sgdcore.check_learning_rate(problem, config, limits), config)
    statuses = [list(sgdcore.train(problem.train, replace(config, seed=seed), report_every=1e9))[-1].status
                for seed in range(5)]
    assert statuses.count("diverged") == 0, statuses
    assert message.tone == "warning" and "may diverge" in message.text and "expect divergence" not in message.text


@functools.cache
def scaled_problem(scale: float) -> sgdcore.Problem:
    """One column of size ``scale`` (x in [scale, 1.5·scale], y ≈ 2x), not standardised: its limit is about
    1/scale² (1.2e-06 at scale 1,000, batch size 10)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(scale, 1.5 * scale, 200)
    data = sgdcore.Dataset(x[:, None], 2 * x + rng.normal(0, 1, 200), ["x"])
    return sgdcore.make_problem(data, test_fraction=0.2, standardize=False)


def test_the_smallest_and_largest_rates_the_messages_call_settable_are_the_sliders_and_a_links() -> None:
    from ui.settings import BY_KEY
    from ui.widgets import LEARNING_RATE_GRID

    setting = BY_KEY["learning_rate"]
    assert (LEARNING_RATE_GRID[0], LEARNING_RATE_GRID[-1]) == (verdicts.MIN_RATE, verdicts.MAX_RATE)
    assert (setting.low, setting.high) == (verdicts.MIN_RATE, verdicts.MAX_RATE)


@pytest.mark.parametrize("standardise_offered", [True, False])
def test_below_half_a_limit_the_dashboard_cannot_set_it_offers_its_smallest_rate_where_that_is_below_the_limit(
        standardise_offered: bool) -> None:
    problem = scaled_problem(1000)
    config = sgdcore.TrainConfig(learning_rate=0.03, batch_size=10)
    limits = sgdcore.run_limits(problem, config)
    if not standardise_offered:
        limits = replace(limits, standardized=None, standardized_condition_number=None)
    limit = limits.minibatch.learning_rate
    assert limit / 2 < verdicts.MIN_RATE < limit  # half the limit cannot be set, but the smallest rate is below it
    message = verdicts.rate_check(sgdcore.check_learning_rate(problem, config, limits), config)
    assert "no learning rate the dashboard sets" not in message.text.lower()
    smallest = sgdcore.Suggestion("learning_rate", verdicts.MIN_RATE)
    assert smallest in message.suggestions
    assert (sgdcore.Suggestion("standardize", True, 0.85) in message.suggestions) == standardise_offered
    said = (f"half the limit, {sgdcore.round_down(limit / 2):g}, is below the smallest learning rate the dashboard "
            f"sets; that one, 1e-06, is {verdicts.MIN_RATE / limit:.2g}× the limit, so a run at it stays stable: "
            "use it.")
    assert message.text.lower().endswith(said), message.text
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(verdicts, "t", lambda key, **fields: text_in("zh-CN", key, **fields))
        chinese = verdicts.rate_check(sgdcore.check_learning_rate(problem, config, limits), config).text
    assert "1e-06" in chinese and "都不低于" not in chinese and f"{verdicts.MIN_RATE / limit:.2g} 倍" in chinese


def test_where_no_rate_the_dashboard_sets_is_below_the_limit_it_says_so_with_its_smallest_rate() -> None:
    problem = scaled_problem(10_000)
    config = sgdcore.TrainConfig(learning_rate=0.03, batch_size=10)
    limits = sgdcore.run_limits(problem, config)
    limit = limits.minibatch.learning_rate
    assert limit < verdicts.MIN_RATE
    message = verdicts.rate_check(sgdcore.check_learning_rate(problem, config, limits), config)
    assert message.text.endswith(f" Without it, no learning rate the dashboard sets is below the limit: the smallest, "
                                 f"1e-06, is {verdicts.MIN_RATE / limit:.2g}× it."), message.text
    assert [suggestion.setting for suggestion in message.suggestions] == ["standardize"]


@given(limit=st.floats(-8, -4).map(lambda exponent: 10.0**exponent))
@example(limit=1.4e-6)
@settings(max_examples=60, deadline=None)
def test_every_rate_a_fix_offers_is_settable_and_below_the_limit_and_none_is_said_only_when_none_is(limit) -> None:
    problem = scaled_problem(1000)
    config = sgdcore.TrainConfig(learning_rate=0.03, batch_size=10)
    limits = sgdcore.run_limits(problem, config)
    scaled = replace(limits.minibatch, learning_rate=limit,
                     full_batch=limit * limits.full_batch / limits.minibatch.learning_rate)
    limits = replace(limits, minibatch=scaled, standardized=None, standardized_condition_number=None)
    check = sgdcore.check_learning_rate(problem, config, limits)
    message = verdicts.rate_check(check, config)
    rates = [float(suggestion.value) for suggestion in message.suggestions if suggestion.setting == "learning_rate"]
    assert all(verdicts.settable_rate(rate) and rate < limit for rate in rates), (limit, rates)
    says_none = "no learning rate the dashboard sets" in message.text.lower()
    assert says_none == (not rates) == (limit <= verdicts.MIN_RATE), message.text


def test_near_the_limit_with_momentum_the_warning_says_a_run_may_diverge_where_runs_do() -> None:
    """The limit is for independent minibatches; the engine draws an epoch's without replacement. With μ = 0.9 and
    two minibatches an epoch (20 rows, batch size 10), runs at 0.94× the limit diverge for every seed: the warning
    near the limit says that with momentum a run may diverge, and without momentum it does not say so."""
    rng = np.random.default_rng(21)
    X = rng.normal(size=(20, 1)) * rng.uniform(0.3, 3.0, size=1) + rng.normal(size=1)
    problem = sgdcore.make_problem(sgdcore.Dataset(X, X @ rng.normal(size=1) + rng.normal(size=20), ("x0",)))
    for momentum in (0.9, 0.0):
        config = sgdcore.TrainConfig(batch_size=10, epochs=1000, momentum=momentum)
        limits = sgdcore.run_limits(problem, config)
        config = replace(config, learning_rate=0.9375 * limits.minibatch.learning_rate)
        message = verdicts.rate_check(sgdcore.check_learning_rate(problem, config, limits), config)
        diverged = sum(list(sgdcore.train(problem.train, replace(config, seed=seed), report_every=1e9))[-1].status
                       == "diverged" for seed in range(5))
        assert ("may also diverge" in message.text) == (momentum > 0) == (diverged >= 3), (momentum, diverged)


@pytest.mark.parametrize("schedule", [
    sgdcore.Schedule("step", gamma=0.5, step_size=7), sgdcore.Schedule("exponential", gamma=0.3, step_size=20),
    sgdcore.Schedule("inverse_scaling", power_t=0.5), sgdcore.Schedule("cosine"),
    sgdcore.Schedule("cosine", min_factor=0.5, warmup_steps=30), sgdcore.Schedule("step", gamma=0.9, warmup_steps=5),
    sgdcore.Schedule("constant", warmup_steps=20), sgdcore.Schedule("constant", warmup_steps=500)])
def test_the_steps_a_schedule_keeps_the_rate_above_a_limit_are_those_of_its_rates_step_by_step(schedule) -> None:
    """verdicts.steps_above bisects after the warm-up: it agrees with every rate of the run computed one by one, the
    cosine's length the run's as sgdcore.train sets it; None when the last step is still above."""
    config = sgdcore.TrainConfig(learning_rate=1.0, batch_size=10, epochs=4, schedule=schedule)
    total = config.steps_per_epoch(95) * config.epochs
    period = replace(schedule, period_steps=total) if schedule.kind == "cosine" else schedule
    rates = np.array([period(step) for step in range(total)])
    for limit in (0.05, 0.3, 0.55, 0.9, 1.0, 1.5):
        above = np.flatnonzero(rates >= limit)
        expected = None if rates[-1] >= limit else int(above[-1]) + 1 if len(above) else 0
        assert verdicts.steps_above(config, 95, limit) == expected, limit


def _lasso_weights(problem: sgdcore.Problem, l1_penalty: float) -> np.ndarray:
    """scikit-learn's Lasso on the model's rows: ½·mean(r²) + l1·‖w‖₁, the intercept free, as sgdcore's L1."""
    from sklearn.linear_model import Lasso

    return Lasso(alpha=l1_penalty, tol=1e-12, max_iter=1_000_000).fit(problem.train.X, problem.train.y).coef_


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_an_l1_oscillation_names_the_weights_within_one_step_of_zero_and_says_no_more(monkeypatch, language) -> None:
    """η·l1 = 0.05 a step carries x1 across zero, but the penalised optimum does not hold it at zero: Lasso puts it
    at 0.042. The verdict said "the weights the penalised optimum holds at zero (x1)"; it names them as what they
    are, the weights the optimum puts within one step of zero."""
    if language != "en":
        monkeypatch.setattr(verdicts, "t", lambda key, **fields: text_in(language, key, **fields))
        monkeypatch.setattr(verdicts, "tn", lambda key, count, **fields: text_in(
            language, f"{key}.{'one' if count == 1 else 'other'}", count=count, **fields))
    problem = sgdcore.make_problem(sgdcore.synthetic(n=1000, w=(1.0, 1.6), seed=0), standardize=True,
                                   test_fraction=0.2)
    config = sgdcore.TrainConfig(learning_rate=0.1, epochs=100, l1_penalty=0.5)
    lasso = _lasso_weights(problem, config.l1_penalty)
    step = config.learning_rate * config.l1_penalty
    assert 0.01 < lasso[0] <= step < abs(lasso[1])  # x1 within one step of zero, and not at it
    message, _ = verdict_of(problem, config)
    if language == "en":
        assert "the weights the penalised optimum puts within that of zero (x1) are carried across zero and back" \
            in message.text, message.text
        assert "holds at zero" not in message.text
    else:
        assert "在带惩罚的最优解中与零相距不超过这一步长的权重（x1）被来回推过零点" in message.text, message.text
        assert "为零的权重" not in message.text


def test_a_noise_floor_with_weight_decay_is_the_penalised_objectives_and_says_it_is_not_the_tables_gap() -> None:
    """The verdict's gap and the level expected of it are the objective SGD minimises, training loss plus
    wd/2·‖w‖², above its minimum; brute force: a NumPy ridge solve on the model's rows."""
    problem = sgdcore.make_problem(sgdcore.synthetic(n=1000, seed=0), standardize=True, test_fraction=0.2)
    config = sgdcore.TrainConfig(learning_rate=0.1, epochs=20, weight_decay=5.0)
    message, progress = verdict_of(problem, config)
    X, y, decay = problem.train.X, problem.train.y, config.weight_decay
    centred = X - X.mean(axis=0)
    weights = np.linalg.solve(centred.T @ centred / len(y) + decay * np.eye(2), centred.T @ (y - y.mean()) / len(y))
    bias = y.mean() - X.mean(axis=0) @ weights

    def penalised(w: np.ndarray, b: float) -> float:
        return 0.5 * float(np.mean((X @ w + b - y) ** 2)) + 0.5 * decay * float(w @ w)

    gap = penalised(progress.weights, progress.bias) - penalised(weights, bias)
    floor = sgdcore.noise_floor(problem.train, 0.1, 10, weight_decay=decay)
    square = problem.scaler.target_std ** 2
    assert message.text.startswith(f"Finished 20 epochs. {progress.step:,} steps")
    assert (f"SGD hovers {gap:.3g} above the least value of the objective it minimises, the training loss plus "
            f"weight decay/2 · ‖w‖² (least at the penalised optimum), because of minibatch noise: at learning rate "
            f"0.1 and batch size 10 the expected level is {floor.excess_objective:.3g} above it") in message.text
    assert "the table's loss gap is the training loss alone above the closed form's" in message.text
    assert f"{gap * square:.4g} above its least value, {floor.excess_objective * square:.4g} expected" in message.text


def test_near_a_minibatch_limit_below_the_swinging_rates_the_warning_says_the_noise_grows_as_runs_show(
        problem, chinese) -> None:
    """η = 0.4 at batch size 1 is 0.92× its limit 0.434, but η·λ_max = 0.44 < 1: the mean never changes sign, and
    runs end at the optimum (by sgdcore's own verdict), not oscillating. What does happen near that limit is noise:
    simulated, the loss hovers about 10× as far above the optimum as at half the rate. The warnings (before the
    comparison and in the sidebar) say it is more than twice (true at any rate: below), and keep "expect
    oscillation" for a rate where the mean swings."""
    config = sgdcore.TrainConfig(learning_rate=0.4, batch_size=1, epochs=50)
    limits = sgdcore.run_limits(problem, config)
    assert 0.9 < limits.minibatch.ratio(0.4) < 1 and 0.4 * problem.curvature.lambda_max < 1
    warning = verdicts.comparison_check({"η = 0.4": (config, limits.minibatch)}, problem.train.n_rows)
    assert "振荡" not in warning.text and "没有哪个方向会来回摆动" in warning.text, warning.text
    assert "两倍以上" in warning.text
    sidebar = verdicts.rate_check(sgdcore.check_learning_rate(problem, config, limits), config).text
    assert "摆动；" not in sidebar and "振荡" not in sidebar and "η·λ_max = 0.44 < 1" in sidebar, sidebar
    english = text_in("en", "verdicts.compared.near_noisy", runs="η = 0.4")
    assert "more than twice as far above the optimum" in english and "oscillat" not in english

    def hovering(rate: float, seed: int) -> tuple[str, float]:
        run = replace(config, learning_rate=rate, seed=seed)
        *_, last = sgdcore.train(problem.train, run, report_every=1e9, quadratic=problem.quadratic)
        verdict = sgdcore.diagnose(problem, run, last).verdict
        return verdict, float(np.mean(last.epoch_train_loss[10:])) - problem.optimum_loss

    near = [hovering(0.4, seed) for seed in range(6)]
    half = [hovering(0.2, seed) for seed in range(6)]
    assert all(verdict != "oscillating" for verdict, _ in near), near
    ratio = np.mean([excess for _, excess in near]) / np.mean([excess for _, excess in half])
    assert ratio > 2, ratio  # measured: about 10×
    # Where the mean does swing (η·λ_max > 1 near the limit of batch size 10), oscillation is still what it says
    ten_limit = sgdcore.run_limits(problem, replace(config, batch_size=10)).minibatch
    ten = replace(config, batch_size=10, learning_rate=0.95 * ten_limit.learning_rate)
    assert ten.learning_rate * problem.curvature.lambda_max > 1
    assert "预计会振荡" in verdicts.comparison_check({"η": (ten, ten_limit)}, problem.train.n_rows).text


@pytest.mark.parametrize(("batch_size", "fraction", "shuffle"), [(1, 0.92, "epoch"), (1, 0.99, "epoch"),
                                                                  (2, 0.95, "replacement")])
def test_near_a_limit_where_no_direction_swings_the_loss_hovers_more_than_twice_as_high_as_at_half_the_rate(
        problem, batch_size: int, fraction: float, shuffle: str) -> None:
    """The sidebar said the loss hovers "several times higher" near the limit than at half the rate: one seed's
    run measured 2×, and the ratio is not computed anywhere. It now says "more than twice, on average", which the
    excess loss's growth with the rate gives at any rate below the limit; simulated here, averaged over seeds, at
    rates from 0.92 to 0.99 of the limit (measured: about 8× to 30×)."""
    config = sgdcore.TrainConfig(learning_rate=0.01, batch_size=batch_size, epochs=40, shuffle=shuffle)
    limits = sgdcore.run_limits(problem, config)
    near = replace(config, learning_rate=fraction * limits.minibatch.learning_rate)
    assert not verdicts.mean_swings(near, limits.minibatch)
    warning = check(problem, near).text
    assert "more than twice as far above the optimum as at half the rate" in warning, warning
    assert "several times" not in warning

    def hovering(rate: float) -> float:
        excess = []
        for seed in range(6):
            run = replace(near, learning_rate=rate, seed=seed)
            *_, last = sgdcore.train(problem.train, run, report_every=1e9, quadratic=problem.quadratic)
            assert last.status == "finished"
            excess.append(float(np.mean(last.epoch_train_loss[10:])) - problem.optimum_loss)
        return float(np.mean(excess))

    assert hovering(near.learning_rate) > 2 * hovering(near.learning_rate / 2)


@pytest.mark.parametrize("multiple", [1.0319, 0.996])
def test_a_rate_just_off_a_limit_is_not_said_to_be_1x_it(problem, multiple: float) -> None:
    """Two significant digits wrote 1.9 as "1× the full-batch stability limit 1.84": a ratio that rounds to 1 gets
    the digits that say on which side of the limit the rate is, before and after the run."""
    full = sgdcore.TrainConfig(batch_size=800, epochs=200)
    limit = sgdcore.run_limits(problem, full).full_batch
    config = replace(full, learning_rate=float(f"{multiple * limit:.4g}"))
    ratio = config.learning_rate / limit
    written = f"{ratio:.3g}×"
    assert written not in ("1×", "1.0×") and abs(ratio - multiple) < 1e-3
    before = check(problem, config).text
    after, progress = verdict_of(problem, config)
    side = "the full-batch stability limit" if ratio > 1 else "the stability limit"
    assert f"is {written} {side}" in before and " 1× " not in before, before
    assert (progress.status == "diverged") == (ratio > 1)
    if ratio > 1:
        assert f"is {written} the full-batch stability limit" in after.text, after.text
    assert format(verdicts.Ratio(1.0), ".2g") == "1" and format(verdicts.Ratio(1.27), ".2g") == "1.3"
    assert format(verdicts.Ratio(398.2), ".2g") == "398" and format(verdicts.Ratio(12_345.6), ".2g") == "12,346"
    assert format(verdicts.Ratio(4.3374e16), ".2g") == "4.3e+16"


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_noise_floor_with_momentum_names_less_momentum_and_the_level_without_it(lang: str, monkeypatch) -> None:
    if lang == "zh-CN":
        monkeypatch.setattr(verdicts, "t", lambda key, **fields: text_in("zh-CN", key, **fields))
    problem = sgdcore.make_problem(sgdcore.synthetic(n=1000, noise=1.0, seed=0))
    config = sgdcore.TrainConfig(learning_rate=0.01, batch_size=1, epochs=10, momentum=0.9, shuffle="replacement")
    message, progress = verdict_of(problem, config)
    diagnosis = sgdcore.diagnose(problem, config, progress)
    plain = diagnosis.floor_without_momentum.excess_objective
    assert text_in(lang, "verdicts.noise_floor_without_momentum", momentum=0.9, excess=plain) in message.text
    assert text_in(lang, "verdicts.further.momentum") in message.text, message.text
    assert sgdcore.Suggestion("momentum", 0.0) in message.suggestions
    button = verdicts.button_label(sgdcore.Suggestion("momentum", 0.0))
    assert button == {"en": "Use momentum 0", "zh-CN": "使用动量 0"}[lang]
    plain_run, _ = verdict_of(problem, replace(config, momentum=0.0, learning_rate=0.1))
    assert text_in(lang, "verdicts.further.momentum") not in plain_run.text


def test_a_distance_just_over_the_one_percent_a_run_must_come_within_is_not_written_1_percent() -> None:
    """A run 1.03% away was called "far from the penalised optimum: 1% away" beside "would bring SGD's mean within
    1%": the distance gets the digits that tell it from the 1% it must come within."""
    assert [verdicts._percent(x) for x in (0.0103, 0.0096, 0.048, 0.25)] == ["1.03%", "0.96%", "4.8%", "25%"]
    assert verdicts._percent(sgdcore.diagnosis.ARRIVED) == "1%"


def test_a_noise_floor_verdict_gives_the_floors_distance_and_the_runs_as_two_figures() -> None:
    """"the expected level is 0.0879 above it (dotted on the loss chart), 9.3% from the closed form" read as the
    level's distance, but 9.3% was where this run ended: at that level SGD is 7.3% away on average. Both are given,
    each for what it is, the floor's against runs over seeds."""
    problem = sgdcore.make_problem(sgdcore.synthetic(n=1000, noise=1.0, seed=0))
    config = sgdcore.TrainConfig(learning_rate=0.01, batch_size=1, epochs=10, momentum=0.9, shuffle="replacement")
    message, progress = verdict_of(problem, config)
    diagnosis = sgdcore.diagnose(problem, config, progress)
    scale = np.linalg.norm(problem.optimum.params)
    spread = np.sqrt(diagnosis.floor.mean_square_distance) / scale
    assert f"where SGD is {verdicts._percent(spread)} from the closed form on average (root mean square); this run " \
           f"ended {verdicts._percent(diagnosis.relative_distance)} from it." in message.text, message.text
    ends = [list(sgdcore.train(problem.train, replace(config, seed=seed), report_every=1e9))[-1] for seed in range(8)]
    distances = [np.linalg.norm(np.append(end.weights, end.bias) - problem.optimum.params) / scale for end in ends]
    assert abs(np.sqrt(np.mean(np.square(distances))) - spread) <= 0.25 * spread, (distances, spread)


def test_a_run_above_the_limit_that_ends_before_it_blows_up_is_said_to_swing_wider_and_half_the_limit_not_fastest(
        problem) -> None:
    """At 1.9, 1.03× the full-batch limit, three epochs end 75% away: the verdict said the steepest direction "keeps
    swinging" and that half the limit "converges fastest", while the swing grows every step (the run diverges if it
    goes on) and the fastest full-batch rate, 2/(λ_max + λ_min), is not half the limit."""
    config = sgdcore.TrainConfig(learning_rate=1.9, batch_size=800, epochs=3)
    message, progress = verdict_of(problem, config)
    assert progress.status == "finished"
    assert message.text.startswith("Not settled: swinging wider at the end."), message.text
    assert "more epochs would make the run diverge" in message.text and "fastest" not in message.text
    assert list(sgdcore.train(problem.train, replace(config, epochs=300)))[-1].status == "diverged"
    assert "fastest" not in check(problem, config).text


def test_a_run_above_its_batch_size_s_limit_whose_mean_arrived_is_told_noise_keeps_it_away_not_given_epochs(
        problem) -> None:
    """Batch size 1 at 0.5, 1.15× its limit 0.434 (below the full batch's): seed 1 ends 11% away after 10 epochs,
    its mean long arrived. Over 8 seeds, more epochs do not bring the runs in: some end more than 1% away after 10,
    20 and 40 epochs, now nearer, now farther, so no count of epochs is offered; at the rate offered, half the limit,
    every seed is within 1% after 10."""
    config = sgdcore.TrainConfig(learning_rate=0.5, batch_size=1, epochs=10, seed=1)
    message, progress = verdict_of(problem, config)
    diagnosis = sgdcore.diagnose(problem, config, progress)
    assert diagnosis.verdict == "far_from_optimum" and diagnosis.epochs_needed_from == "above_limit"
    assert diagnosis.relative_distance > 0.05 and diagnosis.epochs_needed is None
    limit = diagnosis.limits.minibatch.learning_rate
    assert diagnosis.crossed == "minibatch" and 1.1 < 0.5 / limit < 1.2
    assert [(fix.setting, fix.value) for fix in diagnosis.suggestions] == [("learning_rate", sgdcore.round_down(
        0.5 * limit))]
    assert "what keeps this run away is minibatch noise" in message.text, message.text
    assert f"a lower learning rate, {sgdcore.round_down(0.5 * limit):g}" in message.text and "epochs" not in [
        fix.setting for fix in message.suggestions]
    optimum = problem.optimum.params

    def distances(rate: float, epochs: int) -> np.ndarray:
        ends = [list(sgdcore.train(problem.train, replace(config, learning_rate=rate, epochs=epochs, seed=seed)))[-1]
                for seed in range(8)]
        return np.array([np.linalg.norm(np.append(end.weights, end.bias) - optimum) for end in ends]) / \
            np.linalg.norm(optimum)

    far = {epochs: distances(0.5, epochs) for epochs in (10, 20, 40)}
    assert all(np.max(away) > 0.01 for away in far.values()), far
    assert np.max(far[40]) > np.max(far[20])  # later is not nearer
    assert np.max(distances(sgdcore.round_down(0.5 * limit), 10)) < 0.01


def test_the_verdict_above_the_batch_size_s_limit_reads_in_chinese(problem, chinese) -> None:
    message, _ = verdict_of(problem, sgdcore.TrainConfig(learning_rate=0.5, batch_size=1, epochs=10, seed=1))
    assert "让这次运行停在远处的是小批量噪声" in message.text and "更小的学习率 0.21" in message.text, message.text


def test_a_full_batch_run_s_epochs_to_arrive_are_exact_and_not_said_to_be_an_average_over_seeds(problem) -> None:
    """Every step on all 800 rows, drawn without replacement: no minibatch noise, so the count of epochs the verdict
    gives is where this very run comes within 1%, one epoch sooner it does not (by running it)."""
    config = sgdcore.TrainConfig(learning_rate=0.03, batch_size=800, epochs=20)
    message, progress = verdict_of(problem, config)
    diagnosis = sgdcore.diagnose(problem, config, progress)
    more = int(np.ceil(diagnosis.epochs_needed))
    assert f"about {more:,} more epochs would bring it within 1% (every step uses every row" in message.text, \
        message.text
    assert "on average over seeds" not in message.text

    def relative(epochs: int) -> float:
        end = list(sgdcore.train(problem.train, replace(config, epochs=epochs)))[-1]
        return sgdcore.diagnose(problem, replace(config, epochs=epochs), end).relative_distance

    assert relative(20 + more) <= 0.01 < relative(20 + more - 1)
