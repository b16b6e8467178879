"""The dashboard's words, in English and in Simplified Chinese: one catalogue per language.

Every text the dashboard writes comes from ``ui/locales/<language>.toml`` by key: :func:`t` fills a text's
``{placeholders}`` with the fields given, and :func:`tn` picks the singular or the plural form by a count.
Both catalogues have the same keys and the same placeholders, with the same format specifications, so that a
number reads the same in both languages (``{rows:,}`` is 1,000 in both). The Chinese follows the terms of
D2L's Chinese edition (学习率, 批量大小, 迭代周期, …).

The language is a setting like any other (``lang`` in a share link): on a session's first run it comes from
the link, else from the browser's language (``st.context.locale``), else English.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import streamlit as st
import tomllib

LANGUAGES = {"en": "English", "zh-CN": "简体中文"}  # code → its name in its own language, for the switch
DEFAULT_LANGUAGE = "en"
LANGUAGE_KEY = "lang"  # session_state and share links
LOCALES = Path(__file__).parent / "locales"


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    texts: dict[str, str] = {}
    for name, entry in table.items():
        key = f"{prefix}{name}"
        if isinstance(entry, Mapping):
            texts.update(_flatten(entry, f"{key}."))
        else:
            texts[key] = entry
    return texts


@functools.cache
def catalogue(language: str) -> dict[str, str]:
    """Every text of ``language`` by its dotted key (``"train.title"``), read once per process."""
    with open(LOCALES / f"{language}.toml", "rb") as file:
        return _flatten(tomllib.load(file))


def language_of_tag(tag: str | None) -> str | None:
    """The catalogue a language tag names, however it is written (``"zh"``, ``"zh_CN"``, ``"zh-Hans"``, ``"en-GB"``,
    any case), or ``None`` for another language: Chinese for any Chinese, English for any English. Traditional
    Chinese readers (zh-TW, zh-HK) read Simplified too, better than English."""
    primary = (tag or "").strip().replace("_", "-").split("-")[0].lower()
    return {"zh": "zh-CN", "en": "en"}.get(primary)


def language_of_locale(locale: str | None) -> str:
    """The catalogue for a browser's language (``"zh-CN"``, ``"zh-Hans-SG"``, ``"en-GB"``), English for any other."""
    return language_of_tag(locale) or DEFAULT_LANGUAGE


def initial_language(link_value: str | None, locale: str | None) -> str:
    """A session's first language: the link's ``lang`` if it names one (as people type it: ``zh``, ``zh_CN``),
    else the browser's."""
    return language_of_tag(link_value) or language_of_locale(locale)


def language() -> str:
    """The language of this session's page.

    A session that has not chosen yet (a page run on its own, before the sidebar) takes the link's, else
    the browser's, as :func:`initial_language`.
    """
    chosen = st.session_state.get(LANGUAGE_KEY)
    if chosen in LANGUAGES:
        return chosen
    return initial_language(st.query_params.get(LANGUAGE_KEY), st.context.locale)


def t(key: str, /, **fields: Any) -> str:
    """The text ``key`` in this session's language, its placeholders filled from ``fields``."""
    return text_in(language(), key, **fields)


def tn(key: str, count: int, /, **fields: Any) -> str:
    """The text ``key.one`` when ``count`` is 1, else ``key.other``, with ``count`` among its fields."""
    return t(f"{key}.{'one' if count == 1 else 'other'}", count=count, **fields)


def text_in(language: str, key: str, /, **fields: Any) -> str:
    """The text ``key`` in ``language``: for what is not drawn in the session's language (tests, files)."""
    template = catalogue(language)[key]
    return template.format(**fields) if fields else template


def labels(prefix: str) -> dict[str, str]:
    """Every text under ``prefix`` by its last part (for a prefix ``p`` with keys ``p.constant``, ``p.cosine``:
    ``{"constant": …, "cosine": …}``), for a widget's ``format_func`` over option codes."""
    return dict(_labels_in(language(), prefix))


@functools.cache
def _labels_in(language: str, prefix: str) -> tuple[tuple[str, str], ...]:
    # Cached: a page asks for the same few groups on every redraw, and the catalogue is read-only
    start = f"{prefix}."
    return tuple((key[len(start):], text) for key, text in catalogue(language).items()
                 if key.startswith(start) and "." not in key[len(start):])


def language_switch() -> None:
    """The sidebar's language switch: each language is named in its own, for whoever cannot read the other."""
    st.sidebar.selectbox(t("common.language_switch"), tuple(LANGUAGES), key=LANGUAGE_KEY,
                         format_func=lambda code: LANGUAGES.get(code, code))  # AppTest may name a name again
