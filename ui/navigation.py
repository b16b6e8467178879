"""The dashboard's pages: file, title, icon and address, in one place for the router and the share links.

Each page's address is its file name in ``pages/`` (``/learning_rate`` is ``pages/learning_rate.py``).
That matters on a fresh server: until ``dashboard.py`` has called ``st.navigation`` once, Streamlit
treats ``pages/`` the old way and serves an address that names a file there as that file alone, and any
other address as "Page not found". With matching names the old way finds the page, and
:func:`require_router` turns it into the new way at once.
"""

from __future__ import annotations

import threading
from typing import Any, NamedTuple

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
    """The router: the navigation between the pages, the settings the address bar holds, page config, the sidebar's
    page links and shared settings, then the page."""
    from ui.datasets import data_is_heavy, one_choice_a_run
    from ui.kernel import warm_up_in_background
    from ui.network import send_without_delay
    from ui.runner import TRAIN_RUN, background_priority, interrupted
    from ui.widgets import follow_address, shared_sidebar

    send_without_delay()  # before this session's page: its browser is still fetching Streamlit's script files
    pages = [st.Page(page.file, title=page.title, icon=page.icon, url_path=page.url_path or None,
                     default=not page.url_path) for page in PAGES]
    navigation = st.navigation(pages, position="hidden")  # the sidebar draws its own links: page_links
    follow_address(navigation.url_path)  # Back may change the language: the titles below are in the address's
    st.set_page_config(page_title=t("nav.page_title"), page_icon="📉", layout="wide")
    # A Train run still saved as under way was interrupted by this very run's click: Stop, or another page's link.
    # Marked stopped here, before any page reads it, so that every page (the Export page's outcome and script too)
    # reads where it stopped, and Train continues it.
    interrupted(st.session_state, TRAIN_RUN)
    links = st.sidebar.container()  # first in the sidebar, drawn once the sidebar has written the address
    # Every part of a page drawn from large data works over all its rows (the starting point's predictions and
    # scores, the limits, the charts' sample): the whole run at the lower priority, so that a light session's
    # click gets the CPU first on a shared server.
    with one_choice_a_run(), background_priority(data_is_heavy(st.session_state)):  # the sidebar's data is the page's
        shared_sidebar()
        page_links(links, pages)
        st.session_state[ROUTED] = True
        _routing.active = True
        try:
            navigation.run()
        finally:  # also when the page stops or reruns (st.stop and st.rerun raise)
            _routing.active = False
            # After the page: compiling takes CPU that a fresh server's first page should have (ui.kernel).
            warm_up_in_background()


def page_links(where: Any, pages: list[Any]) -> None:
    """The links to the pages, by section (in ``where``, the top of the sidebar), each carrying the settings.

    Streamlit's own navigation drops the query string when it changes page: the new page's address is added to the
    browser's history without the settings, then the script writes them, a second entry, and Back from the new page
    only returns to the first, on the same page. A link with the settings (``st.page_link``'s ``query_params``) goes
    to the page's address with them: one entry, which the script finds already right and leaves alone.
    """
    from ui.widgets import LINKS_KEY

    address = st.query_params.to_dict()
    st.session_state[LINKS_KEY] = address
    for section_name in dict.fromkeys(page.section_name for page in PAGES):
        where.caption(t(f"nav.section.{section_name}"))
        for info, page in zip(PAGES, pages, strict=True):
            if info.section_name == section_name:
                where.page_link(page, label=info.title, icon=info.icon, query_params=address)


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
    if routed() or bare_run():
        return
    run_router()
    st.stop()


def bare_run() -> bool:
    """Whether this is a page's run with no browser behind it in a session the router has never run in (``AppTest``
    of the page file alone), which runs bare (:func:`require_router`)."""
    return st.context.url is None and not st.session_state.get(ROUTED, False)
