"""sgd-dashboard: the entry point. `streamlit run dashboard.py`

It routes between the pages and draws the shared sidebar (data and optimiser), so every page trains
on the same data with the same settings, and the address bar always holds a link that restores them.
"""

import streamlit as st

from ui.compile import warm_up_in_background
from ui.navigation import PAGES
from ui.widgets import shared_sidebar

st.set_page_config(page_title="SGD dashboard", page_icon="📉", layout="wide")
warm_up_in_background()

sections: dict[str, list] = {}
for page in PAGES:
    sections.setdefault(page.section, []).append(st.Page(
        page.file, title=page.title, icon=page.icon, url_path=page.url_path or None, default=not page.url_path))
navigation = st.navigation(sections)
shared_sidebar()
navigation.run()
