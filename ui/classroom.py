"""Classroom links: a teacher's link that shows only the controls of the lesson and fixes the others.

A link with ``show=learning_rate,batch_size`` (any settings' names, ui.settings.CONTROLS, or their old short
names) draws only those controls (``show=none``: none); every other setting keeps the link's value (or its
default) and the page says which are fixed, as TensorFlow Playground's hide-controls links do. The list is a
setting like the others: the link a student copies keeps it, with the student's own values. The teacher makes
such a link on the Export and share page (:func:`classroom_link_builder`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from ui.export import share_link
from ui.i18n import LANGUAGE_KEY, LANGUAGES, labels, language, t
from ui.settings import (
    BY_KEY,
    CHART_AXIS_LABELS,
    CONTROLS,
    DATA_SOURCE_LABELS,
    NO_CONTROLS,
    SCHEDULE_LABELS,
    SHOWN_KEY,
    option_names,
    query_params,
    value,
)

BUILDER_CONTROLS = "keep_classroom_show"  # session_state: the builder's choices, kept across pages (ui.widgets)
BUILDER_LANGUAGE = "keep_classroom_lang"
LESSON_CONTROLS = ("learning_rate", "batch_size")  # what the builder offers first: the first lesson's two
# Controls drawn only at some values of another setting, by that setting: a schedule's own (schedule_controls), early
# stopping's, the synthetic data's (standardising and the test fraction but for large data), and the Momentum page's
# batch size (with its Full batch off). A student can draw them only where the link leaves that setting.
DRAWN_WITH = {
    "decay_gamma": "schedule", "decay_epochs": "schedule", "power_t": "schedule",
    "tol": "early_stopping", "n_iter_no_change": "early_stopping",
    **dict.fromkeys(("n_rows", "true_weights", "true_bias", "noise", "data_seed", "standardize", "test_fraction"),
                    "data_source"),
    "momentum_page_batch_size": "momentum_page_full_batch",
}


def shown_controls(state: Mapping[str, Any]) -> tuple[str, ...]:
    """The controls a page draws: the link's list (none for ``NO_CONTROLS``), or every control when the link has
    no list."""
    listed = value(state, SHOWN_KEY)
    if not listed:
        return CONTROLS
    return () if listed == NO_CONTROLS else tuple(name for name in listed.split(",") if name)


def shown(state: Mapping[str, Any], key: str) -> bool:
    """Whether the control of the setting ``key`` is drawn."""
    return key in shown_controls(state)


def is_classroom(state: Mapping[str, Any]) -> bool:
    """Whether a classroom link fixes some settings."""
    return bool(value(state, SHOWN_KEY))


def fixed_data_source(state: Mapping[str, Any]) -> str | None:
    """The data source a classroom link fixes, or None when the student may choose it: the Data page then reads
    data only for that source (an upload when it is the uploaded CSV), so that no click there changes it."""
    return None if shown(state, "data_source") else value(state, "data_source")


def control_label(key: str) -> str:
    """A setting's name as a classroom link's notice and builder say it, in the page's language."""
    return t(f"classroom.control.{key}")


def value_text(key: str, setting_value: Any) -> str:
    """A setting's value as the notice says it: an option's name, on/off, or the number as a link writes it."""
    if isinstance(setting_value, bool):
        return t("classroom.on") if setting_value else t("classroom.off")
    named = {"data_source": DATA_SOURCE_LABELS, "schedule": SCHEDULE_LABELS, "chart_axis": CHART_AXIS_LABELS}
    if key in named:
        return named[key].get(setting_value, str(setting_value))
    if key == "shuffle":
        from ui.sampling import SAMPLING_LABELS  # the sidebar's names of the samplings

        return SAMPLING_LABELS.get(setting_value, str(setting_value))
    if key in ("learning_rates_given_as", "learning_rate_multiples_of"):
        return t(f"classroom.value.{setting_value}")
    if key == "n_threads" and setting_value == "auto":
        return t("classroom.value.auto")
    return BY_KEY[key].to_text(setting_value)


def fixed_controls(state: Mapping[str, Any], sidebar: Iterable[str]) -> tuple[str, ...]:
    """The settings a classroom link fixes that are worth naming: those of the sidebar's controls in use
    (``sidebar``, in its order), then any other the link sets to other than its default."""
    sidebar = tuple(sidebar)
    others = tuple(key for key in CONTROLS if key not in sidebar and value(state, key) != BY_KEY[key].default)
    return tuple(key for key in (*sidebar, *others) if not shown(state, key))


def drawn_now(state: Mapping[str, Any], key: str, sidebar: Iterable[str]) -> bool:
    """Whether the control of ``key``, if shown, is drawn at these settings (``sidebar``: the sidebar's controls
    for them, ui.widgets.sidebar_controls)."""
    if key == "momentum_page_batch_size":
        return not value(state, "momentum_page_full_batch")
    return key not in DRAWN_WITH or key in tuple(sidebar)


def drawable(state: Mapping[str, Any], key: str, sidebar: Iterable[str]) -> bool:
    """Whether a student can see the control of ``key``: it is shown, and drawn now or once the student changes the
    setting that draws it (a decay factor once a decaying schedule is chosen), which the link must leave."""
    return shown(state, key) and (drawn_now(state, key, sidebar) or shown(state, DRAWN_WITH.get(key, key)))


def notice_text(state: Mapping[str, Any], sidebar: Iterable[str]) -> str:
    """What a classroom link's page says: which settings the student may change, which are fixed, at what. A control
    the link names but that is not drawn at the settings it fixes (a decay factor with the schedule fixed at
    Constant) is not one the student may change."""
    separator = t("classroom.separator")
    sidebar = tuple(sidebar)
    listed = shown_controls(state)
    may_change = separator.join(control_label(key) for key in listed if drawable(state, key, sidebar)) or t(
        "classroom.nothing_drawn" if listed else "classroom.nothing_to_change")
    fixed = separator.join(
        t("classroom.fixed_value", label=control_label(key), value=value_text(key, value(state, key)))
        for key in fixed_controls(state, sidebar))
    return t("classroom.notice", may_change=may_change, fixed=fixed or t("classroom.nothing_fixed"))


def classroom_notice(state: Mapping[str, Any], sidebar: Iterable[str]) -> None:
    """At the top of the sidebar of a classroom link's every page: what is fixed and what the student may change
    (``sidebar``: the settings the sidebar would draw, ui.widgets.sidebar_controls)."""
    if is_classroom(state):
        st.sidebar.info(notice_text(state, sidebar), icon="🎓")


def classroom_settings(state: Mapping[str, Any], controls: Iterable[str], link_language: str) -> dict[str, str]:
    """A classroom link's query parameters: every setting as it is now, the language, and the controls shown."""
    settings = {name: text for name, text in query_params(state).items() if name not in (LANGUAGE_KEY, SHOWN_KEY)}
    chosen = set(controls)
    return {**settings, LANGUAGE_KEY: link_language, SHOWN_KEY: ",".join(key for key in CONTROLS if key in chosen)}


def classroom_link_builder(page: str, made_from: Mapping[str, Any] | None = None) -> None:
    """The Export and share page's "Classroom link": the controls to leave to the students, the link's
    language, and the link, for ``page`` (a page's address, as ui.export.share_link takes it), with every
    other setting fixed at its value now (the data settings at ``made_from``'s, those of the data in use)."""
    state = st.session_state
    st.subheader(t("classroom.builder.title"))
    st.caption(t("classroom.builder.caption"))
    if BUILDER_CONTROLS not in state:
        state[BUILDER_CONTROLS] = list(shown_controls(state) if is_classroom(state) else LESSON_CONTROLS)
    if state.get(BUILDER_LANGUAGE) not in LANGUAGES:
        state[BUILDER_LANGUAGE] = language()
    # Named from a dict made now, in this run's language (AppTest names the options again after the run)
    chosen = st.multiselect(t("classroom.builder.controls"), CONTROLS, key=BUILDER_CONTROLS,
                            format_func=option_names(labels("classroom.control")),
                            help=t("classroom.builder.controls_help"))
    link_language = st.selectbox(t("classroom.builder.language"), tuple(LANGUAGES), key=BUILDER_LANGUAGE,
                                 format_func=option_names(LANGUAGES))
    if not chosen:
        st.info(t("classroom.builder.choose_one"))
        return
    _not_drawn_note(state, chosen)
    settings = classroom_settings(made_from or state, chosen, link_language)
    st.code(share_link(st.context.url, page, settings), language=None, wrap_lines=True)
    st.caption(t("classroom.builder.link_caption"))


def _not_drawn_note(state: Mapping[str, Any], chosen: Iterable[str]) -> None:
    """Under the builder's choice: the chosen controls that its link would not draw, as the setting that draws them
    is fixed at a value that does not (a decay factor with the schedule at Constant), and what to do about it."""
    from ui.widgets import sidebar_controls  # ui.widgets draws the classroom notice: imported here, not above

    chosen = tuple(chosen)
    sidebar = sidebar_controls(state)
    linked = {**state, SHOWN_KEY: ",".join(chosen)}
    hidden: dict[str, list[str]] = {}
    for key in chosen:
        if not drawable(linked, key, sidebar):
            hidden.setdefault(DRAWN_WITH[key], []).append(control_label(key))
    for setting, controls in hidden.items():
        listed = t("classroom.separator").join(controls)
        one = "_one" if len(controls) == 1 and setting != "momentum_page_full_batch" else ""  # that one has one
        st.warning(t(f"classroom.builder.not_drawn.{setting}{one}", controls=listed[:1].upper() + listed[1:],
                     setting=control_label(setting), value=value_text(setting, value(state, setting))))
