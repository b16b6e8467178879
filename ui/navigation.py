"""The dashboard's pages: file, title, icon and address, in one place for the router and the share links.

Each page's address is its file name in ``pages/`` (``/learning_rate`` is ``pages/learning_rate.py``).
That matters on a fresh server: until ``dashboard.py`` has called ``st.navigation`` once, Streamlit
treats ``pages/`` the old way and serves an address that names a file there as that file alone, and any
other address as "Page not found". With matching names the old way finds the page, and
:func:`require_router` turns it into the new way at once.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import streamlit as st

from ui.i18n import t


class PageInfo(NamedTuple):
    file: str
    name: str  # its title and its section's are nav.title.<name> and nav.section.<section> in the catalogue
    icon: str
    url_path: str  # "" for the landing page
    section_name: str

    @property
    def title(self) -> str:
        """The page's title in the page's language."""
        return t(f"nav.title.{self.name}")

    @property
    def section(self) -> str:
        """The name of the page's section of the navigation, in the page's language."""
        return t(f"nav.section.{self.section_name}")


PAGES = (
    PageInfo("pages/train.py", "train", "▶️", "", "optimise"),
    PageInfo("pages/learning_rate.py", "learning_rate", "📏", "learning_rate", "optimise"),
    PageInfo("pages/batch_size.py", "batch_size", "🧺", "batch_size", "optimise"),
    PageInfo("pages/momentum.py", "momentum", "🎳", "momentum", "optimise"),
    PageInfo("pages/data.py", "data", "📄", "data", "your_data"),
    PageInfo("pages/export.py", "export", "🔗", "export", "your_data"),
)
PAGE_PATHS = tuple(page.url_path for page in PAGES)


# Set while the router runs a page, in the thread that runs this session's script: a page started without the
# router finds it unset. Thread-local, as several sessions run their scripts at once, each on a thread of its own.
_routing = threading.local()
ROUTED = "_router_has_run"  # session_state: True once the router has run in this session


def run_router() -> None:
    """The router: page config, the navigation between the pages, the shared sidebar, then the page."""
    from ui.kernel import warm_up_in_background
    from ui.network import send_without_delay
    from ui.runner import TRAIN_RUN, interrupted
    from ui.widgets import shared_sidebar

    send_without_delay()  # before this session's page: its browser is still fetching Streamlit's script files
    st.set_page_config(page_title=t("nav.page_title"), page_icon="📉", layout="wide")
    sections: dict[str, list] = {}
    for page in PAGES:
        sections.setdefault(page.section, []).append(st.Page(
            page.file, title=page.title, icon=page.icon, url_path=page.url_path or None,
            default=not page.url_path))
    navigation = st.navigation(sections)
    # A Train run still saved as under way was interrupted by this very run's click: Stop, or another page in the
    # navigation. Marked stopped here, before any page reads it, so that every page (the Export page's outcome and
    # script too) reads where it stopped, and Train continues it.
    interrupted(st.session_state, TRAIN_RUN)
    shared_sidebar()
    st.session_state[ROUTED] = True
    _routing.active = True
    try:
        navigation.run()
    finally:  # also when the page stops or reruns (st.stop and st.rerun raise)
        _routing.active = False
        # After the page: compiling takes CPU that a fresh server's first page should have (ui.kernel).
        warm_up_in_background()


def routed() -> bool:
    """Whether the router runs this run: a page's full run, not a fragment's run alone (a click inside it)."""
    return getattr(_routing, "active", False)


def require_router() -> None:
    """Called first by every page: when Streamlit started the page without ``dashboard.py`` (the first
    visit of a fresh server went straight to a page's address), run the router instead, which runs
    the page again with its sidebar and settings, and end this bare run.

    A page run with no browser behind it (``st.context.url`` is None) in a session the router has never run
    in, ``AppTest`` of the page file alone, runs bare, as the tests of each page file on its own expect.
    (``AppTest`` of ``dashboard.py`` reruns the page it is on without ``dashboard.py`` after a widget
    changes, as a fresh server does: the router has run in that session, so it runs again.)
    """
    if routed():
        return
    if st.context.url is None and not st.session_state.get(ROUTED, False):
        return
    run_router()
    st.stop()
