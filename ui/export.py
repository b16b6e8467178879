"""What the Export page offers for download: plain tables and dictionaries, built without a browser."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import numpy as np
import pandas as pd

import sgdcore
from ui.navigation import PAGE_PATHS


def coefficients_frame(comparison: sgdcore.Comparison) -> pd.DataFrame:
    """One row per coefficient (weights, then the bias) in the data's original units."""
    frame = pd.DataFrame({"coefficient": comparison.names, "sgd": comparison.sgd,
                          "closed_form": comparison.closed_form})
    if comparison.truth is not None:
        frame["truth"] = comparison.truth
    frame["sgd_minus_closed_form"] = comparison.difference
    return frame


def _number(x: Any) -> float | None:
    """A JSON-safe number: NaN and ±∞ (a diverged run) become null rather than invalid JSON."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def coefficients_json(comparison: sgdcore.Comparison, *, description: str, target: str,
                      progress: sgdcore.Progress) -> str:
    """The learned model and the closed form's, with how both fit, as a JSON document."""
    names = comparison.names
    document = {
        "data": description,
        "target": target,
        "status": progress.status,
        "message": progress.message,
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
    return json.dumps(document, indent=2, allow_nan=False)


def epoch_history_frame(progress: sgdcore.Progress) -> pd.DataFrame:
    """Full training (and test) loss after each epoch, with the step and the wall time at that point."""
    epochs = np.arange(len(progress.epoch_train_loss))
    frame = pd.DataFrame({"epoch": epochs, "step": epochs * progress.steps_per_epoch,
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


def config_json(config: sgdcore.TrainConfig, settings: Mapping[str, str], description: str) -> str:
    """The run's ``TrainConfig`` and the dashboard settings (the share link's query parameters).

    ``TrainConfig(**{**c, "schedule": Schedule(**c["schedule"])})`` rebuilds the config from ``c``.
    """
    document = {"data": description, "train_config": dataclasses.asdict(config),
                "dashboard_settings": dict(settings)}
    return json.dumps(document, indent=2, default=str)


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
