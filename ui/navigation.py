"""The dashboard's pages: file, title, icon and address, in one place for the router and the share links.

No address equals a file name in ``pages/``: on a fresh server, Streamlit serves an address that
matches a file there as a plain page of its directory, without ``dashboard.py``'s router and sidebar.
"""

from __future__ import annotations

from typing import NamedTuple


class PageInfo(NamedTuple):
    file: str
    title: str
    icon: str
    url_path: str  # "" for the landing page
    section: str


PAGES = (
    PageInfo("pages/train.py", "Train", "▶️", "", "Optimise"),
    PageInfo("pages/learning_rate.py", "Learning rate", "📏", "learning-rate", "Optimise"),
    PageInfo("pages/batch_size.py", "Batch size", "🧺", "batch-size", "Optimise"),
    PageInfo("pages/momentum.py", "Momentum", "🎳", "momentum-and-nesterov", "Optimise"),
    PageInfo("pages/data.py", "Data", "📄", "your-data", "Your data"),
    PageInfo("pages/export.py", "Export and share", "🔗", "export-and-share", "Your data"),
)
PAGE_PATHS = tuple(page.url_path for page in PAGES)
