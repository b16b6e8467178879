"""The "Large data (Dask)" source: CSV or Parquet files read on a Dask cluster, trained where they lie.

:mod:`sgdcore.distributed` reduces the files to their sufficient statistics (count, means, centred
co-moments) and trains SGD on the workers; no row comes to the dashboard. :class:`LargeProblem` gives the
pages what they read from an in-memory :class:`sgdcore.Problem` (the closed form, the quadratic loss, the
curvature, the comparison), from those statistics alone, and says what needs rows:

- the stability limit for a minibatch: the exact one needs every row's fourth moments; shown is the proven
  lower bound ``2/(λ_max + c·β)`` of :mod:`sgdcore.stability` (its momentum form likewise), for which one
  pass finds ``β``, the largest squared row norm, over all rows;
- the noise floor, which needs the same fourth moments: not computed;
- the charts that draw points (the fit, predicted against actual, the gradient noise): drawn from a random
  sample of about :data:`SAMPLE_ROWS` rows, taken in the same pass, and labelled as such.

The pages reach these through ``problem.on_cluster`` (``ui.runner`` trains with :meth:`LargeProblem.runs`,
``ui.verdicts`` asks it for its limits and its diagnosis), so that importing the dashboard does not import
Dask: only this module does, when the source is used.
"""

from __future__ import annotations

import atexit
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import dask
import numpy as np
import streamlit as st

import sgdcore
from sgdcore import distributed
from sgdcore.analysis import mean_error_after, stability_limit
from sgdcore.diagnosis import ARRIVED, NEAR_LIMIT, contraction, mean_epochs_from_start, mean_epochs_needed, swing_of
from sgdcore.distributed.cluster import completed
from sgdcore.stability import NULL_TOLERANCE, StabilityLimit, rows_stable_rate
from ui import charts, messages
from ui.conditioning import kappa_text
from ui.datasets import DASK_KEY, large_description
from ui.errors import error_text
from ui.i18n import language, t, text_in, tn
from ui.settings import option_names
from ui.widgets import show_error

LOADED = "dask_loaded"  # session_state: the last files read on the Data page: {"key": …, "problem"/"error": …}
LISTED = "dask_listed"  # session_state: (path, sgdcore.distributed.Source) of the files the Data page lists
CLOUD_VARIABLE = "SGD_DASHBOARD_CLOUD"  # "1" or "0": force the Community Cloud behaviour on or off
SAMPLE_ROWS = 5_000  # about this many rows (one more per partition at most) for the charts that draw points
PATH_KEY, SCHEDULER_KEY = "keep_dask_path", "keep_dask_scheduler"  # "keep_": kept when the user visits other pages

# One embedded local cluster per server process (sgdcore.distributed.connect keeps it), started on first use
# and closed when the server exits.
atexit.register(distributed.shutdown)


def on_cloud() -> bool:
    """Whether the dashboard runs on Streamlit Community Cloud, where starting worker processes would take
    more memory than the app has.

    ``SGD_DASHBOARD_CLOUD=1`` (or ``0``) decides. Otherwise Cloud is recognised by how it runs apps: from a
    checkout under ``/mount/src/`` (the path its deploy logs show), in a container whose host name is
    ``streamlit``.
    """
    forced = os.environ.get(CLOUD_VARIABLE, "").strip().lower()
    if forced in ("1", "true", "yes", "on"):
        return True
    if forced in ("0", "false", "no", "off"):
        return False
    return Path(__file__).resolve().as_posix().startswith("/mount/src/") or os.environ.get("HOSTNAME") == "streamlit"


# The problem, from the statistics


@dataclass(frozen=True)
class Rows:
    """What the pages read about the training rows of data on a cluster: how many, and their names; no values."""

    n_rows: int
    n_features: int
    feature_names: tuple[str, ...]
    target_name: str
    true_weights: None = None
    true_bias: None = None


@dataclass(frozen=True, eq=False)
class LargeProblem:
    """Data on a Dask cluster, shaped like :class:`sgdcore.Problem` where the statistics allow.

    No standardisation and no held-out rows: SGD trains on the files as they are (``scaler``, ``test`` and
    ``raw_test`` are None). ``largest_squared_row`` is ``β = max‖[x, 1]‖²`` over all rows,
    ``partition_squared_rows`` each partition's (those with rows, in file order); ``sample`` a random sample of the
    rows for the charts that draw points; ``address`` the scheduler ("" for the default of
    :func:`sgdcore.distributed.connect`).
    """

    data: distributed.DistributedData
    optimum: sgdcore.ClosedForm
    largest_squared_row: float
    sample: sgdcore.Dataset
    address: str = ""
    partition_squared_rows: tuple[float, ...] = ()

    on_cluster: ClassVar[bool] = True
    scaler: ClassVar[None] = None
    test: ClassVar[None] = None
    raw_test: ClassVar[None] = None
    test_quadratic: ClassVar[None] = None

    @cached_property
    def train(self) -> Rows:
        data = self.data
        return Rows(data.n_rows, data.n_features, data.feature_names, data.target_name)

    @property
    def raw_train(self) -> Rows:
        return self.train

    @cached_property
    def quadratic(self) -> sgdcore.QuadraticLoss:
        return self.data.quadratic

    @cached_property
    def curvature(self) -> sgdcore.Curvature:
        return self.data.curvature

    @cached_property
    def optimum_loss(self) -> float:
        # From the centred statistics, which keep the digits the raw quadratic loses to a large mean.
        return self.data.moments.loss(self.optimum.params)

    @property
    def names(self) -> tuple[str, ...]:
        return self.data.names

    def to_original_units(self, weights: np.ndarray, bias: float) -> tuple[np.ndarray, float]:
        return np.asarray(weights, dtype=np.float64), float(bias)

    def compare(self, weights: np.ndarray, bias: float) -> sgdcore.Comparison:
        return self.data.compare(weights, bias, self.optimum)

    @cached_property
    def sample_problem(self) -> sgdcore.Problem:
        """The sample's rows with the whole data's closed form, for the charts that draw points."""
        return sgdcore.Problem(self.sample, None, self.sample, None, None, self.optimum, self.quadratic,
                               self.curvature)

    def runs(self, config: sgdcore.TrainConfig, *, state: sgdcore.TrainState | None = None,
             until_epoch: int | None = None, report_every: float = 0.1) -> Iterator[sgdcore.Progress]:
        """:func:`sgdcore.distributed.train` on the cluster the data was read on."""
        client = _connect(self.address)
        return distributed.train(self.data, config, client=client, state=state, until_epoch=until_epoch,
                                 report_every=report_every)

    def _partitions(self) -> Iterator[tuple[Any, float]]:
        """Each partition with rows: its statistics and its ``β``; the whole's where they were not kept."""
        with_rows = [moments for moments in self.data.partition_moments if moments.count > 0]
        if not with_rows or len(with_rows) != len(self.partition_squared_rows):
            return iter([(self.data.moments, self.largest_squared_row)])
        return zip(with_rows, self.partition_squared_rows, strict=True)

    @staticmethod
    def _partition_bound(moments: Any, squared_row: float, config: sgdcore.TrainConfig) -> float:
        """The proven stable rate of batches drawn from one partition's rows (its last batch shorter, unless
        ``drop_last``): the full-batch limit of its own Hessian where one batch takes them all."""
        p = len(moments.mean)
        hessian = moments.quadratic_loss().hessian + config.weight_decay * np.diag(np.r_[np.ones(p - 1), 0.0])
        return rows_stable_rate(np.linalg.eigvalsh(hessian), int(moments.count), config.batch_size, squared_row,
                                (config.momentum, config.dampening, config.nesterov), config.drop_last)

    def _hessian(self, weight_decay: float) -> np.ndarray:
        """The Hessian of the objective SGD minimises: weight decay's on the weights included."""
        p = self.data.n_features + 1
        return self.quadratic.hessian + weight_decay * np.diag(np.r_[np.ones(p - 1), 0.0])

    def _eigenvalues(self, weight_decay: float) -> np.ndarray:
        """The Hessian's eigenvalues, weight decay's on the weights included, along the directions the data span."""
        eigenvalues = np.linalg.eigvalsh(self._hessian(weight_decay))
        return eigenvalues[eigenvalues > NULL_TOLERANCE * max(eigenvalues[-1], 0.0)]

    def _directions(self, config: sgdcore.TrainConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The Hessian's eigenvalues and eigenvectors along the directions the data span (:meth:`_eigenvalues`), and
        what SGD heads for: with weight decay and no L1 the penalised optimum, else the closed form (the penalised
        optimum with L1 needs the rows)."""
        hessian = self._hessian(config.weight_decay)
        decayed = config.weight_decay > 0 and config.l1_penalty == 0
        target = np.linalg.lstsq(hessian, self.quadratic.linear, rcond=None)[0] if decayed else self.optimum.params
        eigenvalues, eigenvectors = np.linalg.eigh(hessian)
        spanned = eigenvalues > NULL_TOLERANCE * max(eigenvalues[-1], 0.0)
        return eigenvalues[spanned], eigenvectors[:, spanned], target

    def limits(self, config: sgdcore.TrainConfig) -> sgdcore.Limits:
        """The full-batch limit (exact) and, below the full batch, a lower bound of the minibatch limit: the exact
        one needs every row's fourth moments. Each batch comes from one partition's rows (``shuffle="blocks"``),
        so the bound is the lowest of the partitions' own (:mod:`sgdcore.stability`'s ``c·β`` bound, each with its
        own Hessian and ``β``): on files sorted by a column a partition can be far more curved than the whole, and
        the whole's bound was twice what batches of 100 from a sorted file's partitions survive."""
        eigenvalues = self._eigenvalues(config.weight_decay)
        settings = (config.momentum, config.dampening, config.nesterov)
        full_batch = stability_limit(float(eigenvalues[-1]) if len(eigenvalues) else 0.0, *settings)
        n_rows, batch_size = self.data.n_rows, config.batch_size
        if batch_size >= n_rows or not math.isfinite(full_batch):
            minibatch = StabilityLimit(full_batch, "exact", full_batch, batch_size, n_rows, config.l1_penalty > 0)
        else:
            lower = min(self._partition_bound(moments, squared_row, config)
                        for moments, squared_row in self._partitions())
            minibatch = StabilityLimit(min(lower, full_batch * (1.0 - 1e-9)), "lower_bound", full_batch, batch_size,
                                       n_rows, config.l1_penalty > 0)
        kappa = sgdcore.curvature(self.quadratic.hessian, config.weight_decay).condition_number
        return sgdcore.Limits(minibatch, kappa)

    @staticmethod
    def _larger_rate(config: sgdcore.TrainConfig, limit: StabilityLimit, eigenvalues: np.ndarray, start: np.ndarray,
                     steps: int) -> list[sgdcore.Suggestion]:
        """Half the limit, offered to a run at under a quarter of it where, as sgdcore.diagnose judges a rate, the
        rate ends constant and there is no L1, and the run's mean after its ``steps`` from ``start`` (its first error
        along the Hessian's directions whose ``eigenvalues`` are given) would be nearer. The mean alone: the noise
        floor needs the rows."""
        rate = sgdcore.round_down(0.5 * limit.learning_rate)
        if not (config.learning_rate < 0.25 * limit.learning_rate and config.schedule.constant_rate
                and config.l1_penalty == 0):
            return []
        settings = (config.momentum, config.dampening, config.nesterov)
        now, then = (float(np.linalg.norm(mean_error_after(eigenvalues, start, steps, each, *settings)))
                     for each in (config.learning_rate, rate))
        return [sgdcore.Suggestion("learning_rate", rate)] if then < now else []

    def diagnose(self, config: sgdcore.TrainConfig, progress: sgdcore.Progress,
                 limits: sgdcore.Limits) -> sgdcore.Diagnosis:
        """:func:`sgdcore.diagnose`'s verdict from the statistics: diverged, oscillating (only where the limit
        is exact), at the optimum, or far from it. Never "noise_floor": the floor needs the rows. With an L1
        penalty the distance is to the closed form (the penalised optimum needs the rows too)."""
        rate = config.learning_rate
        limit = limits.minibatch
        base = dict(status=progress.status, learning_rate=rate, limits=limits, ratio=limit.ratio(rate),
                    crossed=limit.crossed(rate), diverged_at_step=progress.diverged_at_step)
        if progress.status == "diverged":
            return sgdcore.Diagnosis(
                "diverged", **base, target="closed_form", penalty_shifts_optimum=False, relative_distance=None,
                loss_gap=None, train_r2=None, sign_flips=(), floor=None, floor_ratio=None,
                contraction_per_epoch=None, predicted_contraction_per_epoch=None, epochs_needed=None,
                oscillation=None,
                suggestions=(sgdcore.Suggestion("learning_rate", sgdcore.round_down(0.5 * limit.learning_rate)),))
        params = np.append(progress.weights, progress.bias)
        closed = self.optimum.params
        decayed = config.weight_decay > 0 and config.l1_penalty == 0
        eigenvalues, directions, target = self._directions(config)
        error = directions.T @ (params - target)
        distance = float(np.linalg.norm(error))
        scale = max(float(np.linalg.norm(target)), np.finfo(float).tiny)
        relative = distance / scale
        comparison = self.compare(progress.weights, progress.bias)
        flips = tuple(name for name, a, b in zip(comparison.names[:-1], comparison.sgd, comparison.closed_form,
                                                 strict=False) if a * b < 0)
        if decayed:
            # The objective SGD minimises, ½eᵀH_λe from its minimum exactly (as sgdcore.diagnose's gap), at the
            # trajectory's points: the training loss has a slope at the penalised optimum, so its gap falls as the
            # distance there, not as its square.
            hessian = self._hessian(config.weight_decay)
            with np.errstate(all="ignore"):
                errors = np.asarray(progress.trajectory, dtype=np.float64) - target
                gaps = 0.5 * np.einsum("ij,jk,ik->i", errors, hessian, errors)
                gap = 0.5 * float((params - target) @ hessian @ (params - target))
            gap = gap if math.isfinite(gap) else math.inf
            measured, needed, predicted = contraction(progress, 0.0, relative, eigenvalues, config,
                                                      (np.asarray(progress.trajectory_steps), gaps))
        else:
            gap = self.data.moments.loss_gap(params, target)
            measured, needed, predicted = contraction(progress, self.data.moments.loss(target), relative, eigenvalues,
                                                      config)
        needed_from = "measured" if measured is not None else "predicted"
        start = directions.T @ (np.asarray(progress.trajectory[0], dtype=np.float64) - target)
        if relative > ARRIVED and config.l1_penalty == 0:
            # Followed from where the run stands, as sgdcore.diagnose does: a rate measured over the run is its steep
            # directions', gone soon after. Within ARRIVED of the target: the noise floor needs the rows.
            velocity = directions.T @ progress.state.velocity if config.momentum else None
            followed = mean_epochs_needed(config, progress, eigenvalues, error, start, velocity,
                                          progress.steps_per_epoch, _within_arrived(scale))
            if followed is not None:
                needed, needed_from = followed
        details = dict(
            target="penalised_optimum" if decayed else "closed_form",
            penalty_shifts_optimum=bool(decayed and np.linalg.norm(target - closed) > ARRIVED * np.linalg.norm(closed)),
            relative_distance=relative, loss_gap=gap,
            train_r2=comparison.train_r2_sgd, sign_flips=flips, floor=None, floor_ratio=None,
            contraction_per_epoch=measured, predicted_contraction_per_epoch=predicted, epochs_needed=needed,
            epochs_needed_from=needed_from, measured_gap="objective" if decayed else "loss",
        )
        if relative > ARRIVED and limit.kind == "exact" and limit.ratio(progress.learning_rate) > NEAR_LIMIT:
            swing = sgdcore.Oscillation("rate_near_limit", distance, (), swing_of(progress, self.names, ()))
            return sgdcore.Diagnosis("oscillating", **base, **details, oscillation=swing, suggestions=(
                sgdcore.Suggestion("learning_rate", sgdcore.round_down(0.5 * limit.learning_rate)),))
        if relative <= ARRIVED and not comparison.train_r2_sgd < 0:  # an undefined R² (NaN) is not below 0
            return sgdcore.Diagnosis("at_optimum", **base, **details, oscillation=None, suggestions=())
        fixes = self._larger_rate(config, limit, eigenvalues, start, progress.step)
        if needed is not None and math.isfinite(needed) and needed > 0:
            # A fresh run's epochs are all of them (a cosine spent too soon), not more of this one.
            fixes.append(sgdcore.Suggestion("epochs", math.ceil(needed) if needed_from == "fresh_run"
                                            else progress.epoch + math.ceil(needed)))
        if not config.schedule.constant_rate and needed_from in ("schedule", "momentum") \
                and needed is not None and math.isinf(needed):
            fixes.append(sgdcore.Suggestion("schedule", "constant"))  # the rate decays before it arrives
        return sgdcore.Diagnosis("far_from_optimum", **base, **details, oscillation=None, suggestions=tuple(fixes))

    def outlook(self, config: sgdcore.TrainConfig, limits: sgdcore.Limits) -> sgdcore.Outlook | None:
        """:func:`sgdcore.outlook` from the statistics: the run's mean followed from its starting point, with no room
        left for the noise floor, which needs the rows (with L1, whose penalised optimum needs them too, the
        flattest direction's factor a step), and what helps as :meth:`diagnose` says it."""
        rate, limit = config.learning_rate, limits.minibatch
        if limit.crossed(rate) != "none":
            return None
        eigenvalues, directions, target = self._directions(config)
        per_step = sgdcore.contraction_factor(eigenvalues, rate, config.momentum, config.dampening, config.nesterov)
        if not 0 < per_step < 1:
            return None
        steps_per_epoch = config.steps_per_epoch(self.data.n_rows)
        weights, bias = sgdcore.init_params(self.data.n_features, np.random.default_rng(config.seed), config.init,
                                            config.init_scale)  # the starting point sgdcore.distributed.train draws
        start = directions.T @ (np.append(weights, bias) - target)
        scale = max(float(np.linalg.norm(target)), np.finfo(float).tiny)
        followed = mean_epochs_from_start(config, eigenvalues, start, steps_per_epoch,
                                          _within_arrived(scale))
        needed, needed_from = followed if followed is not None and followed[0] is not None else (None, "slowest")
        if needed is None:
            needed = math.log(1 / ARRIVED) / -math.log(per_step) / steps_per_epoch
        fixes = []
        if needed > config.epochs:
            fixes = self._larger_rate(config, limit, eigenvalues, start, config.epochs * steps_per_epoch)
            fixes.append(sgdcore.Suggestion("schedule", "constant") if math.isinf(needed)  # the rate decays first
                         else sgdcore.Suggestion("epochs", math.ceil(needed)))
        return sgdcore.Outlook(config.epochs, per_step, needed, needed_from, tuple(fixes))

    def page_note(self, config: sgdcore.TrainConfig, runs: int = 1) -> str:
        """What a page says about data on a cluster: which limit it shows, what it does not compute, and, for a
        page that trains ``runs`` runs of ``config.epochs`` epochs, how many passes over the files that takes."""
        limit = self.limits(config).minibatch
        shown = (t("large_data.limit_exact") if limit.kind == "exact" else
                 t("large_data.limit_bound", batch_size=limit.batch_size, beta=self.largest_squared_row))
        partitions = tn("data.partitions", self.data.n_partitions)
        note = t("large_data.page_note", rows=self.data.n_rows, partitions=partitions, shown=shown)
        return note + (t("large_data.passes", runs=runs, passes=runs * config.epochs) if runs > 1 else "")


def _within_arrived(scale: float) -> Callable[[sgdcore.TrainConfig, tuple[str, str]], tuple[float, str]]:
    """How close the mean must come, for :func:`sgdcore.diagnosis.mean_epochs_needed` and its kin: within
    :data:`ARRIVED` of the target's size ``scale``, whatever the run (the noise floor needs the rows), in the words
    of the mean's arrival."""
    return lambda run, words: (ARRIVED * scale, words[0])


# Reading the files


def _connect(address: str) -> Any:
    """The client for ``address`` (:func:`sgdcore.distributed.connect`; a local cluster started on first use)."""
    return distributed.connect(address=address.strip() or None)


def _measure(data: distributed.DistributedData, client: Any, seed: int, bar: Any,
             lang: str) -> tuple[tuple[float, ...], sgdcore.Dataset]:
    """One pass over the partitions, on the workers: each partition's ``β`` (its largest ``‖[x, 1]‖²``, in file
    order, the partitions with rows) and a random sample of
    about :data:`SAMPLE_ROWS` rows, drawn in proportion to each partition's rows. Only those come back. The
    progress bar speaks ``lang``."""
    features = list(data.feature_names)
    rng = np.random.default_rng(seed)
    share = min(1.0, SAMPLE_ROWS / data.n_rows)
    work = []
    for rows, part in zip(data.partition_rows, data.frame.to_delayed(), strict=True):
        if rows == 0:
            continue
        chosen = np.sort(rng.choice(int(rows), size=min(int(rows), math.ceil(rows * share)), replace=False))
        # Dask's delayed operators: the task graph holds only pandas' own methods, which any worker has.
        largest = (part[features] ** 2).sum(axis=1).max()
        work.append(dask.delayed(list)([largest, part.iloc[chosen]]))
    futures = client.compute(work)
    results = [None] * len(futures)
    where = {future.key: index for index, future in enumerate(futures)}
    for done, (future, result) in enumerate(completed(client, futures), start=1):
        results[where[future.key]] = result
        bar.progress(done / len(futures), text=text_in(lang, "large_data.pass_sample", done=done,
                                                        total=len(futures)))
    partition_squared_rows = tuple(float(result[0]) + 1.0 for result in results)
    frame = np.concatenate([result[1].to_numpy(dtype=np.float64) for result in results])
    sample = sgdcore.Dataset(np.ascontiguousarray(frame[:, :-1]), frame[:, -1].copy(), data.feature_names,
                             data.target_name)
    return partition_squared_rows, sample


def read_files(path: str, target: str, features: list[str], missing: str, non_numeric: str, address: str,
               seed: int = 0) -> LargeProblem:
    """Read and check the files on the cluster with a progress bar per pass, and solve them exactly.

    Raises
    ------
    sgdcore.SGDCoreError
        A path with no files, a file that does not parse (naming the file and line), a missing target,
        no scheduler at ``address``.
    """
    client = _connect(address)
    # The language is read here once: the progress callbacks may run where the session's state is not at hand.
    lang = language()
    bar = st.progress(0.0, text=text_in(lang, "large_data.pass_start"))
    passes = {"number": 1, "last": 0}

    def on_partition(done: int, total: int) -> None:
        if done < passes["last"]:  # a second pass over the partitions started: means to fill in, categories
            passes["number"] += 1
        passes["last"] = done
        what = text_in(lang, "large_data.reading" if passes["number"] == 1 else "large_data.summing")
        bar.progress(done / total, text=text_in(lang, "large_data.pass", number=passes["number"], what=what,
                                                done=done, total=total))

    try:
        data = distributed.load(path, target, features, missing=missing, non_numeric=non_numeric, client=client,
                                on_partition=on_partition)
        condition = data.moments.correlation_condition()
        if condition > distributed.CONDITION_LIMIT:
            bar.progress(0.0, text=text_in(lang, "large_data.pass_qr", condition=kappa_text(condition)))
        optimum = distributed.closed_form(data, "auto", client=client)
        partition_squared_rows, sample = _measure(data, client, seed, bar, lang)
    finally:
        bar.empty()
    return LargeProblem(data, optimum, max(partition_squared_rows), sample, address.strip(), partition_squared_rows)


def use_dask(problem: LargeProblem, name: str, key: str) -> None:
    """Make the files read the data every page uses (a button callback: it runs before the sidebar)."""
    st.session_state[DASK_KEY] = {"problem": problem, "key": key, "name": name, "scheduler": scheduler(problem)}
    st.session_state["data_source"] = "dask"


def scheduler(problem: LargeProblem) -> str:
    """The address of the scheduler the problem's files were read on ("" for a local cluster)."""
    return problem.address or os.environ.get(distributed.SCHEDULER_VARIABLE, "").strip()


def describe(problem: LargeProblem, name: str) -> str:
    """``name (1,000 rows, 3 features, 4 partitions, on the local Dask cluster)``, in the page's language."""
    return large_description(problem, name, scheduler(problem))


def data_section(in_use: Any) -> None:
    """The Data page's "Large data (Dask)" source: files, target and features, cleaning, cluster, and the button
    that makes them the data every page uses. ``in_use``: the current :class:`ui.datasets.Choice`."""
    state = st.session_state

    def refuse(message: str) -> None:
        """Say what is wrong, and that the data in use has not changed; end the page here."""
        show_error(message)
        if in_use.problem is not None:
            st.caption(messages.nothing_changed(in_use.description))
        st.stop()

    st.caption(t("large_data.intro"))
    state.setdefault(SCHEDULER_KEY, os.environ.get(distributed.SCHEDULER_VARIABLE, ""))
    left, right = st.columns([3, 2])
    path = left.text_input(t("large_data.path"), key=PATH_KEY, placeholder="data/*.parquet",
                           help=t("large_data.path_help")).strip()
    address = right.text_input(t("large_data.scheduler"), key=SCHEDULER_KEY, placeholder="tcp://host:8786",
                               help=t("large_data.scheduler_help", variable=distributed.SCHEDULER_VARIABLE)).strip()
    cloud = on_cloud()
    if cloud and not address and not os.environ.get(distributed.SCHEDULER_VARIABLE):
        st.info(t("large_data.on_cloud", variable=CLOUD_VARIABLE), icon="☁️")
        return
    if not path:
        st.info(t("large_data.no_path"))
        return
    try:
        # Listed once per path and session: the headers of many files (in a bucket, say) take a while to read, and
        # every click reruns this page. "Read the files" lists them again.
        listed = state.get(LISTED)
        if listed is None or listed[0] != path:
            with st.spinner(t("large_data.listing")):
                listed = state[LISTED] = (path, distributed.inspect(path))
        source = listed[1]
    except sgdcore.SGDCoreError as error:
        refuse(error_text(error))
    except OSError as error:  # a file system that refuses (permissions, a bucket without credentials)
        refuse(t("large_data.cannot_list", path=repr(path), error=error))
    files = source.files
    st.caption(tn("large_data.files", len(files), format=source.format.upper(),
                  names=messages.listed(files, len(files), limit=3),
                  partitions=tn("data.partitions", source.n_partitions),
                  columns=tn("data.columns", len(source.columns))))
    columns = list(source.columns)
    if len(columns) == 1:  # a target and nothing to predict it from: no choice below could help
        refuse(t("large_data.one_column", column=messages.echo(str(columns[0]))))
    digest = f"{path}|{columns}"
    target_key, features_key = f"keep_dask_target|{digest}", f"keep_dask_features|{digest}"
    missing_key, non_numeric_key = f"keep_dask_missing|{digest}", f"keep_dask_non_numeric|{digest}"
    state.setdefault(target_key, columns[-1])
    state.setdefault(features_key, columns[:-1])
    state.setdefault(missing_key, "error")
    state.setdefault(non_numeric_key, "error")
    left, right = st.columns([1, 2])
    target = left.selectbox(messages.target_label(), columns, key=target_key, help=t("data.target_help"))
    candidates = [column for column in columns if column != target]
    state[features_key] = [column for column in state[features_key] if column in candidates]
    features = right.multiselect(messages.features_label(), candidates, key=features_key,
                                 help=t("data.features_help"))
    left, right = st.columns(2)
    missing = left.radio(messages.missing_label(), messages.MISSING_OPTIONS,
                         format_func=option_names(messages.missing_labels()), key=missing_key)
    non_numeric = right.radio(messages.non_numeric_label(), messages.NON_NUMERIC_OPTIONS,
                              format_func=option_names(messages.non_numeric_labels()), key=non_numeric_key)
    st.caption(t("large_data.infinite"))
    key = f"dask:{path}:{target}:{features}:{missing}:{non_numeric}:{address}"
    loaded = state.get(LOADED)
    if st.button(t("large_data.read"), icon=":material/database:", type="primary" if loaded is None or loaded["key"]
                 != key else "secondary", help=t("large_data.read_help")):
        state.pop(LISTED, None)
        try:
            loaded = {"key": key, "problem": read_files(path, target, features, missing, non_numeric, address)}
        except sgdcore.SGDCoreError as error:  # kept as the error: worded in the page's language when shown
            loaded = {"key": key, "error": error}
        except OSError as error:
            loaded = {"key": key, "error": error, "path": path}
        state[LOADED] = loaded
    if loaded is None or loaded["key"] != key:
        st.info(t("large_data.press_read"))
        return
    if "error" in loaded:
        error = loaded["error"]
        refuse(t("large_data.read_failed", path=repr(loaded["path"]), error=error) if isinstance(error, OSError)
               else error_text(error))
    problem: LargeProblem = loaded["problem"]
    data = problem.data
    for notice in data.notices:
        st.caption(messages.notice_text(notice))
    dropped = data.rows_read - data.n_rows
    st.caption(t("large_data.read_dropped" if dropped else "large_data.read_summary", rows=data.rows_read,
                 partitions=tn("data.partitions", data.n_partitions), dropped=dropped,
                 condition=kappa_text(problem.curvature.condition_number)))
    with st.expander(t("large_data.sample", rows=problem.sample.n_rows)):
        st.dataframe({t("large_data.coefficient"): list(charts.shown_names(problem.names)),
                      t("large_data.closed_form"): list(problem.optimum.params)}, hide_index=True)
        frame = {name: problem.sample.X[:200, j] for j, name in enumerate(problem.sample.feature_names)}
        frame[problem.sample.target_name] = problem.sample.y[:200]
        st.dataframe(frame, hide_index=True)
    current = state.get(DASK_KEY)
    if current is not None and current["key"] == key and state.get("data_source") == "dask":
        st.success(t("large_data.using", description=describe(problem, path), target=data.target_name), icon="✅")
    else:
        st.button(t("data.use"), type="primary", icon=":material/check:", on_click=use_dask,
                  args=(problem, path, key), key="use_dask",
                  help=t("data.use_help", **messages.sized(data.n_rows, features=data.n_features),
                         target=data.target_name))


__all__ = ["LargeProblem", "Rows", "data_section", "on_cloud", "read_files", "use_dask"]
