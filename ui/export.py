"""What the Export page offers for download: plain tables and dictionaries, built without a browser."""

from __future__ import annotations

import dataclasses
import io
import json
import math
from collections import ChainMap
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import numpy as np
import pandas as pd

import sgdcore
from ui.i18n import t, tn
from ui.navigation import PAGE_PATHS
from ui.settings import SCHEDULE_FIELDS, parse_weights, query_params, schedule_controls, value


def coefficients_frame(comparison: sgdcore.Comparison) -> pd.DataFrame:
    """One row per coefficient (weights, then the bias) in the data's original units."""
    frame = pd.DataFrame({"coefficient": comparison.names, "sgd": comparison.sgd,
                          "closed_form": comparison.closed_form})
    if comparison.truth is not None:
        frame["truth"] = comparison.truth
    frame["sgd_minus_closed_form"] = comparison.difference
    return frame


def outcome(progress: sgdcore.Progress, config: sgdcore.TrainConfig) -> str:
    """How the run ended, in the page's language, from the snapshot's numbers (sgdcore's ``progress.message`` is
    English): ``finished 3 epochs (240 steps)`` as sgdcore says it; a diverged or paused run in a few words."""
    if progress.status == "finished":
        return tn("export.outcome.finished", config.epochs, steps=progress.step)
    if progress.status == "converged":
        return tn("export.outcome.converged", progress.epoch, tol=config.tol, patience=config.n_iter_no_change)
    if progress.status == "diverged":
        return t("export.outcome.diverged", step=progress.diverged_at_step or progress.step)
    return t("export.outcome.stopped", step=progress.step)


def _number(x: Any) -> float | None:
    """A JSON-safe number: NaN and ±∞ (a diverged run) become null rather than invalid JSON."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def coefficients_json(comparison: sgdcore.Comparison, *, description: str, target: str,
                      progress: sgdcore.Progress, config: sgdcore.TrainConfig) -> str:
    """The learned model and the closed form's, with how both fit, as a JSON document: its texts in the page's
    language, as the page says them (``status`` stays sgdcore's code, for a program to read)."""
    names = comparison.names
    document = {
        "data": description,
        "target": target,
        "status": progress.status,
        "message": outcome(progress, config),
        "steps": progress.step,
        "epochs": progress.epoch,
        "sgd": {"weights": {n: _number(v) for n, v in zip(names[:-1], comparison.sgd[:-1], strict=True)},
                "bias": _number(comparison.sgd[-1])},
        "closed_form": {"weights": {n: _number(v) for n, v in zip(names[:-1], comparison.closed_form[:-1],
                                                                   strict=True)},
                        "bias": _number(comparison.closed_form[-1])},
        "metrics": {
            "train_mse": {"sgd": _number(comparison.train_mse_sgd),
                          "closed_form": _number(comparison.train_mse_closed_form)},
            "train_r2": {"sgd": _number(comparison.train_r2_sgd),
                         "closed_form": _number(comparison.train_r2_closed_form)},
            "test_mse": {"sgd": _number(comparison.test_mse_sgd),
                         "closed_form": _number(comparison.test_mse_closed_form)},
            "test_r2": {"sgd": _number(comparison.test_r2_sgd), "closed_form": _number(comparison.test_r2_closed_form)},
            "loss_gap": _number(comparison.loss_gap),
            "relative_error": _number(comparison.relative_error),
        },
    }
    if comparison.truth is not None:
        document["truth"] = {"weights": {n: _number(v) for n, v in zip(names[:-1], comparison.truth[:-1],
                                                                        strict=True)},
                             "bias": _number(comparison.truth[-1])}
    return json.dumps(document, indent=2, allow_nan=False, ensure_ascii=False)  # 面积, not \u9762\u79ef


def csv_file(frame: pd.DataFrame) -> bytes:
    """A table as a CSV file to download: UTF-8, with a byte-order mark when it holds more than ASCII (names of
    uploaded columns, 面积): Excel reads a CSV without one in the Windows code page (GBK on a Chinese Windows) and would
    show those names garbled. pandas and sgdcore read the mark."""
    text = frame.to_csv(index=False)
    return text.encode("utf-8" if text.isascii() else "utf-8-sig")


def epoch_history_frame(progress: sgdcore.Progress) -> pd.DataFrame:
    """Full training (and test) loss after each epoch, with the step and the wall time at that point (the steps
    each epoch took: a batch size changed part-way changes them from the next epoch on)."""
    epochs = np.arange(len(progress.epoch_train_loss))
    frame = pd.DataFrame({"epoch": epochs, "step": progress.epoch_steps[: len(epochs)],
                          "train_loss": progress.epoch_train_loss})
    if progress.epoch_test_loss is not None:
        frame["test_loss"] = progress.epoch_test_loss
    frame["seconds"] = progress.epoch_seconds[: len(frame)]
    return frame


def step_history_frame(progress: sgdcore.Progress, names: tuple[str, ...]) -> pd.DataFrame:
    """Minibatch loss and parameters (model units) by step, as recorded (bounded, bucket means for losses)."""
    losses = pd.DataFrame({"step": progress.loss_steps, "minibatch_loss": progress.minibatch_loss})
    parameters = pd.DataFrame(progress.trajectory, columns=list(names))
    parameters.insert(0, "step", progress.trajectory_steps)
    return pd.merge(losses, parameters, on="step", how="outer").sort_values("step", ignore_index=True)


def _training_settings(config: sgdcore.TrainConfig, n_train: int) -> dict[str, Any]:
    """The sidebar's training settings that make ``config`` (:func:`ui.settings.train_config` read backwards) for
    ``n_train`` training rows: the schedule's lengths, run in steps, are set in epochs."""
    steps_per_epoch = config.steps_per_epoch(n_train)
    schedule = config.schedule
    settings = {name: getattr(config, name) for name in (
        "learning_rate", "batch_size", "epochs", "momentum", "nesterov", "weight_decay", "l1_penalty", "seed",
        "n_iter_no_change", "n_threads", "shuffle")}
    settings.update(early_stopping=config.tol is not None, schedule=schedule.kind,
                    warmup_epochs=schedule.warmup_steps // steps_per_epoch)
    if config.tol is not None:
        settings["tol"] = config.tol
    settings.update({key: getattr(schedule, SCHEDULE_FIELDS[key]) for key in schedule_controls(schedule.kind)})
    if "decay_epochs" in settings:
        settings["decay_epochs"] = schedule.step_size // steps_per_epoch
    return settings


def run_settings(config: sgdcore.TrainConfig, data_settings: Mapping[str, Any], n_train: int) -> dict[str, str]:
    """The settings of the run of ``config`` on the data of ``data_settings`` (:attr:`ui.datasets.Choice.settings`),
    as a share link carries them: the sidebar's since may be others. The settings that shape no run (the language,
    the comparison pages' own) are left out."""
    return query_params(ChainMap(_training_settings(config, n_train), data_settings))


def settings_notes(config: sgdcore.TrainConfig, progress: sgdcore.Progress, legs: tuple[Leg, ...]) -> list[str]:
    """What the run's settings (:func:`run_settings`) cannot say of the run, in the page's language: a run trained
    from them is another where the run changed its settings part-way, went on under early stopping after it had
    ended the run or after the rule was set otherwise, or went past its epochs on a cosine planned for them."""
    notes = []
    if progress.changes:
        changed = t("export.change_separator").join(t("export.change", step=step, what=what)
                                                    for step, what in progress.changes)
        notes.append(t("export.settings_note.changed", changes=changed))
    if legs and config.tol is not None:
        stops = [part for part in legs if part.status == "converged"]
        notes.append(t("export.settings_note.early_stop", epoch=stops[0].epoch) if stops
                     else t("export.settings_note.rule_changed", step=legs[0].step))
    if config.schedule.kind == "cosine" and config.schedule.period_steps is not None:
        notes.append(t("export.settings_note.cosine_period", steps=config.schedule.period_steps,
                       epochs=config.epochs))
    return notes


def config_json(config: sgdcore.TrainConfig, settings: Mapping[str, str], description: str,
                notes: list[str] | None = None) -> str:
    """The run's ``TrainConfig`` and its dashboard settings (:func:`run_settings`: a share link's query parameters),
    with ``notes`` on what those settings cannot say of the run (:func:`settings_notes`).

    ``TrainConfig(**{**c, "schedule": Schedule(**c["schedule"])})`` rebuilds the config from ``c``.
    """
    document = {"data": description, "train_config": dataclasses.asdict(config),
                "dashboard_settings": dict(settings), "dashboard_settings_notes": list(notes or ())}
    return json.dumps(document, indent=2, default=str, ensure_ascii=False)


def share_link(app_url: str | None, page: str, settings: Mapping[str, str]) -> str:
    """A link to ``page`` of this app that restores ``settings`` (the address bar's query parameters)."""
    parts = urlsplit(app_url or "http://localhost:8501/")
    segments = [segment for segment in parts.path.split("/") if segment]
    # Inside Streamlit Community Cloud's frame the app's own address is <public address>/~/+/<page>: a link
    # with the frame's path opens the app without Cloud's page around it, so it is left out.
    for at in range(len(segments) - 1):
        if segments[at:at + 2] == ["~", "+"]:
            del segments[at:at + 2]
            break
    if segments and segments[-1] in PAGE_PATHS:
        segments.pop()
    path = "/" + "/".join([*segments, page] if page else segments)
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(settings), ""))


# The run as code: a script that reproduces the last Train run with sgdcore, and the same loop in PyTorch

DATA_FILE = "data.npz"  # what the sgdcore snippet reads for an uploaded CSV: the rows exactly as trained on


def _arguments(value: Any, default: Any) -> str:
    """The fields of a frozen dataclass that differ from ``default``'s, as keyword arguments (``repr`` gives
    every float back to the last bit); a nested dataclass is written as its own call."""
    parts = []
    for item in dataclasses.fields(value):
        mine, theirs = getattr(value, item.name), getattr(default, item.name)
        if mine == theirs:
            continue
        if dataclasses.is_dataclass(mine):
            mine_text = f"sgdcore.{type(mine).__name__}({_arguments(mine, type(mine)())})"
        else:
            mine_text = repr(mine.item() if isinstance(mine, np.generic) else mine)
        parts.append(f"{item.name}={mine_text}")
    return ", ".join(parts)


def config_code(config: sgdcore.TrainConfig) -> str:
    """``sgdcore.TrainConfig(...)`` with the fields that differ from the defaults."""
    return f"sgdcore.TrainConfig({_arguments(config, sgdcore.TrainConfig())})"


def data_code(settings: Mapping[str, Any], feature_names: tuple[str, ...], target_name: str,
              notices: tuple[str, ...] = ()) -> str:
    """Lines that make ``data`` as the dashboard made it from ``settings`` (its session state); an uploaded file's
    rows with ``notices``, those of the data that say how a new row becomes its features (sgdcore.encoding_notices)."""
    source = settings.get("data_source", "synthetic")
    if source == "diabetes":
        return ("from sklearn.datasets import load_diabetes\n\n"
                "bunch = load_diabetes()  # scikit-learn's diabetes data, as the dashboard loads it\n"
                "data = sgdcore.Dataset(np.ascontiguousarray(bunch.data), bunch.target.astype(np.float64),\n"
                f"                       tuple(bunch.feature_names), {target_name!r})")
    if source == "csv":
        encoding = _encoding_code(notices)
        return (f"arrays = np.load({DATA_FILE!r})  # the uploaded rows as trained on: download it from this page\n"
                f"{encoding}data = sgdcore.Dataset(arrays['X'], arrays['y'], {feature_names!r}, {target_name!r}"
                f"{', notices=encoding' if encoding else ''})")
    weights = tuple(float(w) for w in parse_weights(value(settings, "true_weights")))
    n_rows, bias, noise, seed = (value(settings, key) for key in ("n_rows", "true_bias", "noise", "data_seed"))
    return f"data = sgdcore.synthetic({n_rows!r}, {weights!r}, {bias!r}, {noise!r}, {seed!r})"


def _encoding_code(notices: tuple[str, ...]) -> str:
    """``encoding = (sgdcore.Notice(...), ...)``: the data's ``notices`` that say how a new row becomes its features
    (``sgdcore.encoding_notices``), which the rows in DATA_FILE, the features already, do not; nothing where there
    are none."""
    if not notices:
        return ""
    lines = ["# How a new row's columns become these features, for sgdcore.encode_rows (see the end)", "encoding = ("]
    for said in notices:
        fields = "".join(f", {name}={field!r}" for name, field in said.fields.items())
        lines.append(f"    sgdcore.Notice({str(said)!r}, {said.kind!r}{fields}),")
    return "\n".join([*lines, ")"]) + "\n"


def prediction_lines(weights_and_bias: str, indent: str = "") -> str:
    """A script's closing lines, commented out: a file of new rows predicted by ``weights_and_bias`` (in the data's
    units) as the Export page predicts them, the way the page offers for a file longer than its grid takes."""
    lines = ("# New rows predicted as the Export page predicts them, in the data's units, with the columns",
             "# sgdcore.input_columns(data) names (a text column encoded as the data's, an empty cell filled where",
             "# the data's gaps were), e.g. a CSV file's:",
             "# import pandas as pd",
             '# rows = pd.read_csv("new rows.csv")',
             f"# rows[\"prediction\"] = sgdcore.predict(sgdcore.encode_rows(rows, data), {weights_and_bias})",
             '# rows.to_csv("predictions.csv", index=False)')
    return "\n".join(indent + line for line in lines)


def _problem_code(settings: Mapping[str, Any]) -> str:
    # The settings as the pages read them (ui.datasets): a widget the sidebar no longer shows (the data seed, once
    # a CSV is in use) has left the session state, and the problem was made with its default.
    return (f"problem = sgdcore.make_problem(data, standardize={bool(value(settings, 'standardize'))!r}, "
            f"test_fraction={value(settings, 'test_fraction')!r}, seed={value(settings, 'data_seed')!r})")


def reproducible(progress: sgdcore.Progress, *, on_cluster: bool = False) -> bool:
    """Whether a script can stop where the run stopped. ``sgdcore.train`` pauses at any step (``until_step``), inside
    an epoch too; ``sgdcore.distributed.train`` on large data (``on_cluster``) only at the end of an epoch."""
    return not on_cluster or progress.status != "stopped" or progress.batch_in_epoch == 0


def _pause(status: str, step: int, epoch: int, batch_in_epoch: int) -> str:
    """The keyword argument that pauses a script's ``sgdcore.train`` where a run paused (none if it did not):
    after its epochs done, or inside an epoch after its steps."""
    if status != "stopped":
        return ""
    return f", until_step={step}" if batch_in_epoch > 0 else f", until_epoch={epoch}"


def _until(progress: sgdcore.Progress) -> str:
    """:func:`_pause` where the run of ``progress`` paused."""
    return _pause(progress.status, progress.step, progress.epoch, progress.batch_in_epoch)


def as_run(config: sgdcore.TrainConfig, progress: sgdcore.Progress) -> sgdcore.TrainConfig:
    """``config`` with the kernel and threads its run took (``progress``): the dashboard picks them for the moment
    (NumPy while the kernel compiles, threads by the server's load), and threads change the order of the sums."""
    backend = "numpy" if progress.backend == "numpy" else config.backend
    return dataclasses.replace(config, backend=backend, n_threads=progress.n_threads)


@dataclasses.dataclass(frozen=True)
class Leg:
    """A part of a run that the run went on from with another early-stopping rule, or after that rule had ended it
    (``status`` "converged"): it ended after ``epoch`` of the ``epochs`` it was set to, "finished" there, or
    "stopped" (paused) at ``step``, ``batch_in_epoch`` steps into the next epoch. Its rule (``tol``,
    ``n_iter_no_change``) decided where it stopped and is not the one the run went on with, so a script trains each
    leg with its own."""

    epoch: int
    epochs: int
    tol: float | None
    n_iter_no_change: int
    status: str
    step: int
    batch_in_epoch: int


def _rule(config: sgdcore.TrainConfig) -> tuple[float, int] | None:
    # The patience counts only under a tol: without one, any patience is the same rule, none.
    return None if config.tol is None else (config.tol, config.n_iter_no_change)


def ends_leg(progress: sgdcore.Progress, before: sgdcore.TrainConfig, config: sgdcore.TrainConfig) -> bool:
    """Whether a run trained with ``before`` up to ``progress``, going on with ``config``, starts a new
    :class:`Leg`."""
    return progress.status == "converged" or _rule(before) != _rule(config)


def leg(progress: sgdcore.Progress, before: sgdcore.TrainConfig) -> Leg:
    """The leg that ended at ``progress``, trained with ``before`` (the config the page kept with the run: a run on
    a cluster keeps none in its state)."""
    return Leg(progress.epoch, progress.epochs, before.tol, before.n_iter_no_change, progress.status, progress.step,
               progress.batch_in_epoch)


def _leg_config(config: sgdcore.TrainConfig, part: Leg) -> str:
    """The config of ``part``: ``config`` with that leg's epochs and early-stopping rule."""
    fields = {"epochs": part.epochs, "tol": part.tol, "n_iter_no_change": part.n_iter_no_change}
    differs = {name: setting for name, setting in fields.items() if getattr(config, name) != setting}
    if not differs:
        return "config"
    return f"replace(config, {', '.join(f'{name}={setting!r}' for name, setting in differs.items())})"


def _leg_code(config: sgdcore.TrainConfig, part: Leg, state: str) -> list[str]:
    """The lines that train ``part`` from ``state`` (a keyword argument, or none from the start)."""
    why = (f"Early stopping ends this run after epoch {part.epoch}; the dashboard's run went on from there."
           if part.status == "converged" else
           f"The dashboard's run went on from step {part.step} with another early-stopping rule.")
    until = _pause(part.status, part.step, part.epoch, part.batch_in_epoch)
    return [f"# {why}",
            f"*_, progress = sgdcore.train(problem.train, {_leg_config(config, part)}{state}{until}, **forms)"]


def _train_code(config: sgdcore.TrainConfig, until: str, legs: tuple[Leg, ...]) -> str:
    """The script's ``sgdcore.train`` calls: one, or, for a run that went on with another early-stopping rule or
    after that rule had ended it (``legs``), one to each leg's end, each going on from the state the one before
    ended in, as the dashboard went on; ``until`` pauses the last one."""
    if not legs:
        return (f"*_, progress = sgdcore.train(problem.train, config, test=problem.test{until},\n"
                "                             quadratic=problem.quadratic, test_quadratic=problem.test_quadratic)")
    lines = ['forms = {"test": problem.test, "quadratic": problem.quadratic, "test_quadratic": problem.test_quadratic}']
    state = ""
    for part in legs:
        lines += _leg_code(config, part, state)
        state = ", state=progress.state"
    lines.append(f"*_, progress = sgdcore.train(problem.train, config{state}{until}, **forms)")
    return "\n".join(lines)


def sgdcore_snippet(settings: Mapping[str, Any], config: sgdcore.TrainConfig, progress: sgdcore.Progress,
                    feature_names: tuple[str, ...], target_name: str,
                    legs: tuple[Leg, ...] = (), notices: tuple[str, ...] = ()) -> str:
    """A script that trains the run of ``config`` (whose last snapshot is ``progress``) on the data ``settings``
    describe, exactly as the dashboard did, and prints its weights and bias: the same to the last bit; a run paused
    (inside an epoch too) pauses at the same step, and a run that went on with another early-stopping rule or after
    that rule had ended it (``legs``) stops where it did, by the rule of the time, and goes on from the same
    states. An uploaded file's data carries ``notices``, those that say how new rows are encoded
    (``sgdcore.encoding_notices``)."""
    until = _until(progress)
    config = as_run(config, progress)
    replaced = any(_leg_config(config, part) != "config" for part in legs)
    imports = "from dataclasses import replace\n\n" if replaced else ""
    return f'''"""The last run of the sgd-dashboard's Train page, reproduced with sgdcore: its weights, bit for bit."""

{imports}import numpy as np

import sgdcore

{data_code(settings, feature_names, target_name, notices)}
{_problem_code(settings)}
config = {config_code(config)}
# The problem's own loss forms, as the dashboard passes them: the epoch losses (and early stopping) to the last bit.
{_train_code(config, until, legs)}
print(progress.message)
print("weights:", progress.weights.tolist())  # model units: standardised, if the data was
print("bias:", progress.bias)
weights, bias = problem.to_original_units(progress.weights, progress.bias)
print("in the data's units: weights", weights.tolist(), "bias", bias)
{prediction_lines("weights, bias")}
'''


def distributed_snippet(data: Any, config: sgdcore.TrainConfig, progress: sgdcore.Progress, address: str = "") -> str:
    """A script that trains the run of ``config`` on large data (``data``, a
    :class:`sgdcore.distributed.DistributedData`) as the dashboard did, on a cluster, and prints its weights and
    bias: the same partitions in the same seeded order, so the same to the last bit. A run stopped inside an epoch
    stops here after the epochs it had done (:func:`reproducible` says so): the partitions pause only between two."""
    plan = data.plan
    features = [name for name, _ in plan.features]
    non_numeric = "onehot" if any(categories is not None for _, categories in plan.features) else "error"
    until = f", until_epoch={progress.epoch}" if progress.status == "stopped" else ""
    client = (f"distributed.connect(address={address!r})" if address
              else "None  # a local cluster, or the one SGD_DASHBOARD_SCHEDULER names")
    return f'''"""The last run of the sgd-dashboard's Train page on large data, reproduced with sgdcore.distributed."""

import sgdcore
from sgdcore import distributed

if __name__ == "__main__":  # a local cluster's workers are new processes that import this file
    client = {client}
    data = distributed.load({data.source!r}, {plan.target!r}, {features!r},
                            missing={plan.missing!r}, non_numeric={non_numeric!r}, client=client)
    config = {config_code(config)}
    *_, progress = distributed.train(data, config, client=client{until})
    print(progress.message)
    print("weights:", progress.weights.tolist())
    print("bias:", progress.bias)
{prediction_lines("progress.weights, progress.bias", indent="    ")}
'''


def _torch_pause(progress: sgdcore.Progress | None) -> tuple[str, str, str, str]:
    """Where the torch loop stops, as the run did: its first line, and lines before it, after each step and after
    each epoch's minibatches that stop it after the step a run paused inside an epoch had reached."""
    loop = "for epoch in range(config.epochs):"
    if progress is None or progress.status != "stopped":
        return loop, "", "", ""
    if progress.batch_in_epoch == 0:
        epochs = progress.epoch
        return f"for epoch in range({epochs}):  # the run paused after epoch {epochs}: so does this loop", "", "", ""
    steps = progress.step
    return (loop,
            f"step = 0  # the run paused after step {steps:,}, inside epoch {progress.epoch + 1}: so does this loop\n",
            f"\n        step += 1\n        if step == {steps}:\n            break",
            f"\n    if step == {steps}:  # inside the epoch: it has no end yet, no loss to print\n        break")


def torch_snippet(settings: Mapping[str, Any], config: sgdcore.TrainConfig, n_train: int,
                  feature_names: tuple[str, ...], target_name: str, progress: sgdcore.Progress | None = None) -> str:
    """The same run as a ``torch.optim.SGD`` loop, for readers of D2L's PyTorch edition: the same data, start,
    loss, update and schedule, but torch's own shuffles, so the result agrees to within minibatch noise only.
    Given the run's last snapshot ``progress``, the loop stops where a paused run did: after its epochs done, or
    after its steps inside an epoch."""
    config = config.as_planned(n_train)
    l1 = ("\n        loss = loss + config.l1_penalty * w.abs().sum()  # its gradient: l1·sign(w)"
          if config.l1_penalty else "")
    drop = "\n        if len(rows) < config.batch_size:  # drop_last\n            continue" if config.drop_last else ""
    notes = [note for note, on in (
        ("early stopping (tol) is not in this loop", config.tol is not None),
        (f"shuffle={config.shuffle!r} is sgdcore's; this loop shuffles every epoch", config.shuffle != "epoch"),
    ) if on]
    note = "".join(f"\n# Note: {text}." for text in notes)
    loop, before, after_step, after_epoch = _torch_pause(progress)
    return f'''"""The same run as a torch.optim.SGD loop (D2L's PyTorch edition): same data, start, loss, update and
schedule; torch shuffles the rows its own way, so the numbers agree within minibatch noise, not bit for bit."""{note}

import numpy as np
import torch

import sgdcore

{data_code(settings, feature_names, target_name)}
{_problem_code(settings)}
config = {config_code(config)}
X, y = torch.tensor(problem.train.X), torch.tensor(problem.train.y)
start, _ = sgdcore.init_params(X.shape[1], np.random.default_rng(config.seed), config.init, config.init_scale)
w = torch.tensor(start, requires_grad=True)
b = torch.zeros((), dtype=torch.float64, requires_grad=True)
optimizer = torch.optim.SGD(
    # Weight decay on the weights only, as sgdcore: torch would decay the bias too if given one group.
    [{{"params": [w], "weight_decay": config.weight_decay}}, {{"params": [b], "weight_decay": 0.0}}],
    lr=config.learning_rate, momentum=config.momentum, dampening=config.dampening, nesterov=config.nesterov,
)
# The learning rate at each step: sgdcore's schedule is a plain function of the step.
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: float(config.schedule(step)))
generator = torch.Generator().manual_seed(config.seed)
{before}{loop}
    for rows in torch.randperm(len(y), generator=generator).split(config.batch_size):{drop}
        loss = 0.5 * ((X[rows] @ w + b - y[rows]) ** 2).mean()  # ½·mean of squared errors, as D2L{l1}
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step(){after_step}{after_epoch}
    with torch.no_grad():
        print(f"epoch {{epoch + 1}}: training loss {{0.5 * ((X @ w + b - y) ** 2).mean().item():.6g}}")
print("weights:", w.detach().numpy().tolist())
print("bias:", b.item())
'''


def dataset_npz(data: sgdcore.Dataset) -> bytes:
    """The rows a run was trained on (before the split), for the snippet of an uploaded CSV."""
    buffer = io.BytesIO()
    np.savez(buffer, X=data.X, y=data.y)
    return buffer.getvalue()
