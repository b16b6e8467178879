"""sgd-dashboard: the entry point. `streamlit run dashboard.py`

It routes between the pages and draws the shared sidebar (data and optimiser), so every page trains
on the same data with the same settings, and the address bar always holds a link that restores them.
"""

from ui.navigation import run_router

run_router()
