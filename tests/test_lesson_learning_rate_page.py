"""The Learning rate page's lesson against the page as it is set: its unit, its runs, its settings.

Each answer is revealed through the page and checked against the page itself (a number typed into it) or
against brute force (products of the steps' matrices, training).
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

import sgdcore
from tests.test_app_pages import app, button, no_exceptions, open_page
from tests.test_app_truth import problem_of
from tests.test_lesson_panel import bold_numbers, number_after, panel, reveal
from ui.i18n import text_in


def page_rates(at) -> list[float]:
    """The rates the page's caption says its runs use."""
    caption = next(c.value for c in at.caption if "Rates: " in c.value)
    return [float(rate) for rate in re.search(r"Rates: (.*?)\. Batch", caption)[1].split(", ")]


@pytest.mark.parametrize("query", [
    {},
    {"learning_rate_multiples_of": "batch_size", "learning_rate_page_full_batch": "false"},
    {"momentum": "0.9", "weight_decay": "0.1"},
    {"learning_rates_given_as": "absolute"},
])
def test_the_fastest_rate_typed_as_the_answer_says_gives_that_rate_on_the_page(query: dict) -> None:
    """"η = 0.9908 (1.08 × 1/λ_max on this page)" where the page's 1 was 0.719 (batch size 10's half-limit): typed
    in, 1.08 gave 0.777; with momentum 0.9 and weight decay 0.1 the page's 1 is 1.61, and 1.09 gave 1.76."""
    at = open_page(app(**query), "learning_rate")
    text = reveal(at, "learning_rate", "fastest")
    best = bold_numbers(text)[0]
    said = re.search(r"that is ([\d.]+)\.|enter it as it is: ([\d.]+)\.|\(([\d.]+) × 1/λ_max on this page\)", text)
    assert said, text
    typed = next(number for number in said.groups() if number)
    at.text_input(key="learning_rates_compared").set_value(typed).run()
    no_exceptions(at)
    assert page_rates(at)[0] == pytest.approx(best, rel=1e-2), (typed, page_rates(at), text)


def test_under_a_schedule_the_fastest_rate_answer_follows_the_pages_minibatch_runs() -> None:
    """"over the 50 steps of the page's runs, the sidebar's rate 0.03 shrinks the error only 2.02× by the last step",
    where the page's runs take batches of 10: 4,000 steps with a 160-step warm-up, whose mean error shrinks 1000× by
    step 326. Brute force: the norm of the product of the steps' I − η_t·H, a cosine over 4,000 steps after the
    warm-up's linear climb."""
    at = open_page(app(schedule="cosine", warmup_epochs="2", learning_rate_page_full_batch="false"), "learning_rate")
    text = reveal(at, "learning_rate", "fastest")
    problem = problem_of(at)
    n_train = problem.train.n_rows
    steps = -(-n_train // 10) * 50
    assert number_after(text, "over their") == steps == 4000
    A = np.column_stack((problem.train.X, np.ones(n_train)))
    H = A.T @ A / n_train
    eigenvalues = np.linalg.eigvalsh(H)
    best = 2 / (eigenvalues[0] + eigenvalues[-1])
    t = np.arange(steps)
    factors = 0.5 * (1 + np.cos(np.pi * t / steps)) * np.minimum(1.0, (t + 1) / (2 * n_train // 10))
    for words, rate in (("the sidebar's rate 0.03", 0.03), (f"η = {best:.4g}", best)):
        product, shrink = np.eye(len(H)), []
        for factor in factors:
            product = (np.eye(len(H)) - rate * factor * H) @ product
            shrink.append(1 / np.linalg.norm(product, 2))
            if shrink[-1] >= 1000:
                break
        line = next(line for line in text.split("\n") if line.startswith(f"- {words}"))
        assert "1000× in" in line and int(number_after(line, "1000× in")) == len(shrink), (line, len(shrink))


def trained_steps(problem: sgdcore.Problem, rate: float, **query: str) -> int:
    """The step from which a full-batch sgdcore.train run of the sidebar's momentum and weight decay (``query``) at
    ``rate``, from seed 0's start, stays within 1/1000 of its start's distance to the minimum of the loss it descends
    (the closed form's, or with weight decay a NumPy ridge solve): trained for three times that and 200 steps more."""
    n_train = problem.train.n_rows
    A = np.column_stack((problem.train.X, np.ones(n_train)))
    decay = float(query.get("weight_decay", 0))
    optimum = np.linalg.solve(A.T @ A / n_train + decay * np.diag([1.0] * (A.shape[1] - 1) + [0.0]),
                              A.T @ problem.train.y / n_train)
    config = sgdcore.TrainConfig(learning_rate=rate, batch_size=n_train, momentum=float(query.get("momentum", 0)),
                                 nesterov="nesterov" in query, weight_decay=decay, epochs=100)
    while True:
        *_, run = sgdcore.train(problem.train, config, report_every=1e9)
        distances = np.linalg.norm(np.asarray(run.trajectory) - optimum, axis=1)
        above = np.flatnonzero(distances > distances[0] / 1000)
        steps = int(above[-1]) + 1 if above.size else 0
        if run.status == "diverged" or config.epochs >= 3 * steps + 200:
            return steps if run.status != "diverged" else 10**9
        config = replace(config, epochs=3 * steps + 200)


def page_unit(problem: sgdcore.Problem, **query: str) -> float:
    """Half the full-batch limit with the sidebar's momentum and weight decay (the page's multiple 1 by default): 1/λ
    plain, (1+μ)/λ heavy ball, (1+μ)/((1+2μ)λ) Nesterov, at the largest eigenvalue of the penalised Hessian."""
    n_train = problem.train.n_rows
    A = np.column_stack((problem.train.X, np.ones(n_train)))
    decay, mu = float(query.get("weight_decay", 0)), float(query.get("momentum", 0))
    top = np.linalg.eigvalsh(A.T @ A / n_train + decay * np.diag([1.0] * (A.shape[1] - 1) + [0.0]))[-1]
    return (1 + mu) / ((1 + 2 * mu if "nesterov" in query else 1.0) * top)


@pytest.mark.parametrize("query", [
    {},
    {"momentum": "0.9"},
    {"momentum": "0.001"},
    {"momentum": "0.2"},
    {"momentum": "0.5", "nesterov": "1"},
    {"weight_decay": "1"},
    {"momentum": "0.9", "weight_decay": "0.1"},
])
def test_the_fastest_rate_answers_step_counts_are_those_of_the_pages_full_batch_runs(query: dict) -> None:
    """"The error shrinks 1000× in 132 steps" at heavy ball 0.9's η = 1.747, the long-run factor's ln 1000 / ln(1/ρ),
    where the page's full-batch run from its start takes 135, and the sidebar's 0.03 (also "132") 132: the
    sidebar's rate beat the answer's fastest. Plain 0.9908: "3", the run 2; Nesterov 0.5 at 0.9721: "5", the run 4.
    Every count the answer gives is now the run's, trained here; and where, from this start, a rate on the page's
    steps of 0.01 (or the sidebar's) gets there in fewer steps than the long run's fastest, the answer names the
    fewest, which no rate tried beats."""
    at = open_page(app(**query), "learning_rate")
    text = reveal(at, "learning_rate", "fastest")
    problem = problem_of(at)
    said = {float(rate): int(steps.replace(",", "")) for rate, steps in re.findall(
        r"A full-batch run at η = ([\d.]+) from the page's starting point \(seed 0\) has its error down 1000× by "
        r"step ([\d,]+)", text)}
    best = bold_numbers(text)[0]
    assert best in said and 0.03 in said and "about" not in text, text
    for rate, steps in said.items():
        assert trained_steps(problem, rate, **query) == steps, (rate, text)
    unit = page_unit(problem, **query)
    tried = {rate: trained_steps(problem, rate, **query) for rate in [0.03, *np.arange(1, 200) * 0.01 * unit]}
    fewest = min(tried.values())
    sooner = re.search(r"other rates get there in fewer steps than η = [\d.]+: η = ([\d.]+) has the error down "
                       r"1000× for good by step ([\d,]+), the fewest of the 20\d rates tried", text)
    if fewest >= said[best]:
        assert not sooner and "fewer steps" not in text, (fewest, text)
    elif tried[0.03] == fewest:
        assert "the sidebar's rate gets there in fewer steps than" in text, (fewest, text)
    else:
        assert sooner and int(sooner[2]) == fewest, (fewest, text)
        assert trained_steps(problem, float(sooner[1]), **query) == fewest
        typed = float(re.findall(r"that is ([\d.]+)\.", text)[-1])  # on the page's steps, as tried
        assert trained_steps(problem, typed * unit, **query) == fewest, (typed, text)


def test_with_an_l1_penalty_the_fastest_rate_answer_gives_the_long_run_factors_estimate_as_one() -> None:
    """With L1 the loss is not a quadratic, and no run's count is worked out: the steps are the long-run factor's,
    ⌈ln 1000 / ln(1/ρ)⌉, and said to be about that, in the long run."""
    at = open_page(app(l1_penalty="0.1"), "learning_rate")
    text = reveal(at, "learning_rate", "fastest")
    problem = problem_of(at)
    eigenvalues = np.linalg.eigvalsh(problem.quadratic.hessian)
    best = bold_numbers(text)[0]
    for rate, steps in ((best, 3), (0.03, 244)):
        factor = max(abs(1 - rate * eigenvalues))
        assert np.ceil(np.log(1000) / -np.log(factor)) == steps
        assert f"the error shrinks 1000× in about {steps} steps, in the long run" in text, text
    assert "has its error down" not in text, text


def nesterov_radius(rate: float, eigenvalues: np.ndarray, mu: float) -> float:
    """The largest |root| of full-batch Nesterov's recurrence of error and velocity, over the eigen-directions
    (torch's form: v ← μv + g, θ ← θ − η(g + μv))."""
    return max(max(abs(np.linalg.eigvals(np.array([[1 - rate * lam * (1 + mu), -rate * mu * mu], [lam, mu]]))))
               for lam in eigenvalues)


def test_with_nesterov_the_limits_and_factors_say_they_are_nesterovs() -> None:
    """"These limits include the sidebar's momentum (0.5)", "with the sidebar momentum: 1.459": 1.459 is Nesterov's
    limit (heavy ball's at μ 0.5 is 2.92), and the factor 0.5952 at 0.3 is Nesterov's too; the texts did not say so."""
    query = {"standardize": "1", "learning_rate": "0.3", "momentum": "0.5", "nesterov": "1"}
    at = open_page(app(**query), "learning_rate")
    problem = problem_of(at)
    A = np.column_stack((problem.train.X, np.ones(problem.train.n_rows)))
    eigenvalues = np.linalg.eigvalsh(A.T @ A / len(A))
    low, high = 0.0, 10.0
    for _ in range(60):  # the full-batch limit: where the radius reaches 1
        low, high = ((low + high) / 2, high) if nesterov_radius((low + high) / 2, eigenvalues, 0.5) < 1 else (
            low, (low + high) / 2)
    caption = next(c.value for c in at.caption if "Stability limit for this data" in c.value)
    assert number_after(caption, "with the sidebar's Nesterov momentum:") == pytest.approx(low, rel=1e-3), caption
    limits = reveal(at, "learning_rate", "limits")
    assert "the sidebar's Nesterov momentum (0.5)" in limits, limits
    fastest = reveal(at, "learning_rate", "fastest")
    said = number_after(fastest, "The sidebar's learning rate 0.3, with its Nesterov momentum 0.5, multiplies the "
                                 "error by")
    assert said == pytest.approx(nesterov_radius(0.3, eigenvalues, 0.5), abs=1e-4), fastest


def momentum_radius(rate: float, eigenvalues: np.ndarray, mu: float, nesterov: bool) -> float:
    """The largest |root| of full-batch momentum's recurrence of error and velocity over the eigen-directions
    (torch's forms: v ← μv + g, then θ ← θ − ηv for heavy ball, θ ← θ − η(g + μv) for Nesterov)."""
    if nesterov:
        return nesterov_radius(rate, eigenvalues, mu)
    return max(max(abs(np.linalg.eigvals(np.array([[1 - rate * lam, -rate * mu], [lam, mu]])))) for lam in eigenvalues)


def measured_factor(rate: float, eigenvalues: np.ndarray, mu: float, nesterov: bool, steps: int = 4000) -> float:
    """A full-batch run with momentum from error 1 in every direction: its error's shrink a step over the last half of
    ``steps`` steps (renormalised each step, so a fast run does not underflow)."""
    error, velocity, logs = np.ones(len(eigenvalues)), np.zeros(len(eigenvalues)), []
    for step in range(steps):
        gradient = eigenvalues * error
        velocity = gradient if step == 0 else mu * velocity + gradient
        error = error - rate * (gradient + mu * velocity if nesterov else velocity)
        size = np.linalg.norm(np.r_[error, velocity])
        error, velocity = error / size, velocity / size
        logs.append(np.log(size))
    return float(np.exp(np.mean(logs[steps // 2:])))


@pytest.mark.parametrize("query", [
    {"momentum": "0.5", "nesterov": "1"},
    {"momentum": "0.001"},
    {"momentum": "0.9", "weight_decay": "0.1"},
    {"momentum": "0.5", "nesterov": "1", "learning_rates_given_as": "absolute"},
])
def test_with_momentum_the_fastest_rate_is_that_of_the_momentum_the_pages_runs_have(query: dict) -> None:
    """With momentum 0.9 and weight decay 0.1 the answer was plain descent's η = 0.9287, 0.0942 a step, 1000× in 3
    steps, "that is 0.576": the page's runs have μ = 0.9, and no rate does better than √0.9 = 0.9487 with it. With
    Nesterov 0.5 "that is 1.44" gave η = 0.9927, 0.269 a step; Nesterov's fastest is η ≈ 0.972. Brute force: the
    recurrence's roots over a fine grid of rates, a simulated run's shrink a step, and the rate typed on the page."""
    at = open_page(app(**query), "learning_rate")
    text = reveal(at, "learning_rate", "fastest")
    mu, nesterov = float(query["momentum"]), "nesterov" in query
    problem = problem_of(at)
    decay = float(query.get("weight_decay", 0))
    hessian = problem.quadratic.hessian
    eigenvalues = np.linalg.eigvalsh(hessian + decay * np.diag([1.0] * (len(hessian) - 1) + [0.0]))

    def radius(rate: float, momentum: float = mu) -> float:
        return momentum_radius(rate, eigenvalues, momentum, nesterov)

    grid = np.linspace(1e-4, 4 / eigenvalues[-1], 4000)
    radii = [radius(rate) for rate in grid]
    at_least = int(np.argmin(radii))  # then a finer grid about it: the factor's valley is a sharp V
    least = min(radii[at_least], *(radius(rate) for rate in np.linspace(grid[max(at_least - 1, 0)],
                                                                       grid[min(at_least + 1, len(grid) - 1)], 2000)))
    best = bold_numbers(text)[0]
    floor = "no learning rate does better than" in text
    said = number_after(text, "√μ =" if floor else "it multiplies the error by")
    assert floor == (not nesterov and least < np.sqrt(mu) + 1e-6), (least, text)
    assert said == pytest.approx(least, abs=2e-4) == pytest.approx(radius(best), abs=2e-4), (least, text)
    measured = measured_factor(best, eigenvalues, mu, nesterov)
    assert measured == pytest.approx(said, abs=2e-4), (measured, text)
    assert number_after(text, f"A full-batch run at η = {best:.4g} from the page's starting point (seed 0) has its "
                              "error down 1000× by step") == trained_steps(problem, best, **query), text
    if floor:  # every rate in the range said reaches √μ, none outside it; less momentum does better
        low, high = (float(rate) for rate in re.search(r"Every rate from η = ([\d.]+) to ([\d.]+)", text).groups())
        assert radius(low) == pytest.approx(np.sqrt(mu), abs=1e-3) == pytest.approx(radius(high), abs=1e-3)
        assert min(radius(0.9 * low), radius(1.1 * high)) > np.sqrt(mu) + 1e-3
        assert min(radius(rate, mu / 2) for rate in grid) < np.sqrt(mu) - 1e-3
    typed = re.search(r"that is ([\d.]+)\.|enter it as it is: ([\d.]+)\.", text)
    assert typed, text
    at.text_input(key="learning_rates_compared").set_value(next(n for n in typed.groups() if n)).run()
    no_exceptions(at)
    assert radius(page_rates(at)[0]) == pytest.approx(said, abs=5e-4), (page_rates(at), text)


@pytest.mark.parametrize("true_weights", ["2, -3.4", "2, 0.05"])
def test_the_l1_caption_says_the_weights_keep_moving_only_where_the_penalty_carries_one_across_zero(
        true_weights: str) -> None:
    """"The L1 penalty does not move the limit, but it keeps the weights from settling" with L1 0.5 on weights 2 and
    -3.4, where the table showed the runs within 7.7e-12 % of the optimum: no weight is near 0 there, and sign(w)
    never flips. Trained at each of the page's stable rates, full batch as the page does: with a weight the
    penalised optimum holds at 0, it keeps crossing 0; without, every run settles."""
    at = open_page(app(l1_penalty="0.5", true_weights=true_weights), "learning_rate")
    caption = next(c.value for c in at.caption if "Stability limit for this data" in c.value)
    problem = problem_of(at)
    n_train = problem.train.n_rows
    moving = []
    for rate in page_rates(at)[:-1]:  # the last, 2.1 × 1/λ_max, diverges
        config = sgdcore.TrainConfig(learning_rate=rate, batch_size=n_train, epochs=400, l1_penalty=0.5)
        *_, run = sgdcore.train(problem.train, config, report_every=1e9)
        last = np.asarray(run.trajectory)[-20:, :-1]
        moving.append(bool(np.any(np.ptp(last, axis=0) > 1e-6)))
    crosses = any(moving)
    assert crosses == (true_weights == "2, 0.05")
    assert ("keeps the weights from settling" in caption) == crosses, caption
    assert ("does not keep the weights from settling there" in caption) == (not crosses), caption


@pytest.mark.parametrize(("query", "as_described"), [
    ({}, True),
    ({"learning_rates_compared": "0.1,0.5,1,1.9,2.1"}, True),
    ({"learning_rates_given_as": "absolute"}, False),
    ({"momentum": "0.9"}, False),
    ({"learning_rate_multiples_of": "batch_size"}, False),
    ({"schedule": "cosine"}, False),
])
def test_the_lessons_try_and_see_say_for_which_settings_they_hold(query: dict, as_described: bool) -> None:
    """With rates given as learning rates, Try said "Keep the page's rates (multiples 0.1 to 2.1 of 1/λ_max)" and
    See "1.9 … converges", where η = 1.9 is 1.03× the limit and diverges; with momentum 0.9, "0.1 crawls, 1 is
    fast" is not so. Where the page is not as they describe it, they say which settings they describe."""
    at = open_page(app(**query), "learning_rate")
    texts = " ".join(block.value for block in panel(at, "learning_rate").markdown)
    assert ("Keep the page's rates (multiples 0.1 to 2.1 of 1/λ_max)" in texts) == as_described, texts
    assert ("With the full batch, 0.1 crawls" in texts) == as_described, texts
    if not as_described:
        assert "This is for the page's default rates" in texts and "With the page's default rates" in texts
        assert "momentum and weight decay at 0 and a constant schedule" in texts, texts


def test_as_the_see_says_the_default_rates_1_9_converges_and_2_1_diverges_and_not_so_given_as_rates() -> None:
    """What See describes, trained full batch for the page's 50 epochs: at the default multiples 1.9 converges and
    2.1 diverges; given as learning rates, 1.9 diverges on this data (its limit is 1.84)."""
    at = open_page(app(), "learning_rate")
    problem = problem_of(at)
    n_train = problem.train.n_rows

    def growth(rate: float) -> float:
        """The final loss's gap to the closed form over the first epoch's: below 1 converging, above growing."""
        config = sgdcore.TrainConfig(learning_rate=rate, batch_size=n_train, epochs=50)
        *_, run = sgdcore.train(problem.train, config, report_every=1e9)
        gaps = np.asarray(run.epoch_train_loss) - problem.optimum_loss
        return gaps[-1] / gaps[0]

    rates = page_rates(at)
    assert growth(rates[3]) < 1e-3 and growth(rates[4]) > 10
    assert growth(1.9) > 1  # slowly: 1.03× the limit


def test_the_mean_of_the_pages_shuffled_minibatch_runs_shrinks_as_the_schedule_answer_says() -> None:
    """The answer's shrink for minibatch runs is full-batch descent at their rates, the mean of their runs: 400
    runs of batches of 10 drawn from epoch shuffles, as the page draws them, at the sidebar's 0.03 under a cosine
    with a 2-epoch warm-up, from the page's start (0): their mean error is 1000× smaller at about the step said."""
    at = open_page(app(schedule="cosine", warmup_epochs="2", learning_rate_page_full_batch="false"), "learning_rate")
    text = reveal(at, "learning_rate", "fastest")
    said = int(number_after(next(line for line in text.split("\n") if line.startswith("- the sidebar's rate 0.03")),
                            "1000× in"))
    problem = problem_of(at)
    A = np.column_stack((problem.train.X, np.ones(problem.train.n_rows)))
    y, n_rows, runs = problem.train.y, len(A), 400
    optimum = np.linalg.lstsq(A, y, rcond=None)[0]
    steps_per_epoch, steps = n_rows // 10, 50 * n_rows // 10
    t = np.arange(steps)
    rates = 0.03 * 0.5 * (1 + np.cos(np.pi * t / steps)) * np.minimum(1.0, (t + 1) / (2 * steps_per_epoch))
    rng = np.random.default_rng(1)
    theta, step = np.zeros((runs, A.shape[1])), 0
    while np.linalg.norm(theta.mean(axis=0) - optimum) > np.linalg.norm(optimum) / 1000:
        if step % steps_per_epoch == 0:
            order = np.argsort(rng.random((runs, n_rows)), axis=1)
        rows = order[:, (step % steps_per_epoch) * 10:(step % steps_per_epoch + 1) * 10]
        residuals = np.einsum("rbj,rj->rb", A[rows], theta) - y[rows]
        theta -= rates[step] * np.einsum("rbj,rb->rj", A[rows], residuals) / 10
        step += 1
    assert 0.9 * said <= step <= said, (step, said)  # the worst direction's shrink: at most the steps said


@pytest.mark.parametrize(("query", "english"), [
    ({"momentum": "0.5", "nesterov": "1"}, "These limits include the sidebar's Nesterov momentum (0.5)."),
    ({"weight_decay": "0.1"}, "These limits include the sidebar's weight decay (0.1)."),
    ({"momentum": "0.9", "weight_decay": "0.1"},
     "These limits include the sidebar's momentum (0.9) and weight decay (0.1)."),
])
def test_the_limits_answer_names_only_the_settings_it_includes(query: dict, english: str) -> None:
    """"These limits include the sidebar's Nesterov momentum (0.5) and weight decay (0)": a weight decay of 0 is
    none to include."""
    said = reveal(open_page(app(**query), "learning_rate"), "learning_rate", "limits")
    assert english in said and "(0)" not in said, said


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("query", [{"momentum": "0.9"}, {"momentum": "0.5", "nesterov": "1"}])
def test_with_momentum_the_fastest_rate_answer_says_the_sidebars_rate_only_with_that_momentum(
        lang: str, query: dict) -> None:
    """With momentum 0.9 the answer gave heavy ball's fastest rates, then "The sidebar's learning rate 0.03 shrinks it
    by 0.9721 a step: 244 steps for 1000×", plain descent's, which the page's runs do not train; then "That is plain
    gradient descent: with the sidebar's momentum 0.9 … 0.9487". One line now says what the page's runs do at the
    sidebar's rate: the recurrence's factor, and steps the page's full-batch run from its start is within."""
    at = open_page(app(lang=lang, **query), "learning_rate")
    text = reveal(at, "learning_rate", "fastest")
    mu, nesterov = float(query["momentum"]), "nesterov" in query
    problem = problem_of(at)
    eigenvalues = np.linalg.eigvalsh(problem.quadratic.hessian)
    plain = float(np.max(np.abs(1 - 0.03 * eigenvalues)))
    assert text_in(lang, "lesson.learning_rate.fastest.sidebar", rate=0.03, contraction=plain,
                   steps=int(np.ceil(np.log(1000) / -np.log(plain)))) not in text, text
    factor = momentum_radius(0.03, eigenvalues, mu, nesterov)
    key = "sidebar_nesterov" if nesterov else "sidebar_momentum"
    line = text_in(lang, f"lesson.learning_rate.fastest.{key}", rate=0.03, momentum=mu, contraction=factor)
    # The page's full-batch run at the sidebar's rate: from when its distance to the optimum stays 1000× its start's
    steps = text_in(lang, "lesson.learning_rate.fastest.steps_exact", rate=0.03, seed=0,
                    steps=trained_steps(problem, 0.03, **query))
    assert text.split("\n\n")[2] == text_in(lang, "lesson.sentences", first=line, second=steps), text


def test_a_contraction_just_below_or_above_1_is_not_written_as_1() -> None:
    """The diabetes data's flattest direction at a stable rate shrinks by 1 − 1.7e-06 a step: four figures would
    write 1, beside a caption that says above 1 is divergence."""
    from ui.widgets import factor_text

    assert [factor_text(value) for value in (1 - 1.7e-6, 1 + 2.4e-6, 1.0, 0.9144, 1.1, float("inf"))] == [
        "1 − 1.7e-06", "1 + 2.4e-06", "1", "0.9144", "1.1", "∞"]
    at = open_page(app(data_source="diabetes"), "learning_rate")
    button(at, "Train all").click().run()
    no_exceptions(at)
    contractions = at.table[0].value["contraction per step"].tolist()
    assert all(text.startswith("1 − ") for text in contractions[:4]) and contractions[4] == "1.1", contractions


def test_rates_above_the_limit_with_nesterov_momentum_leave_no_numpy_warning_in_the_server_s_log() -> None:
    """Their runs' means, followed epoch by epoch for the verdicts, grow past float64's range: ∞ and NaN, judged as
    such, without NumPy's overflow warnings."""
    import warnings

    at = open_page(app(nesterov="true", momentum="0.9", weight_decay="0.1"), "learning_rate")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        button(at, "Train all").click().run()
    no_exceptions(at)
    assert "diverging" in " ".join(at.table[0].value["outcome"])
    assert not [str(warning.message) for warning in caught if issubclass(warning.category, RuntimeWarning)]
