"""sgd-dashboard: the entry point. `streamlit run dashboard.py`

It routes between the pages and draws the shared sidebar (data and optimiser), so every page trains
on the same data with the same settings, and the address bar always holds a link that restores them.
"""

import streamlit as st

from ui.compile import warm_up_in_background
from ui.widgets import shared_sidebar

st.set_page_config(page_title="SGD dashboard", page_icon="📉", layout="wide")
warm_up_in_background()

pages = {
    "Optimise": [
        st.Page("pages/train.py", title="Train", icon="▶️", default=True),
        st.Page("pages/learning_rate.py", title="Learning rate", icon="📏", url_path="learning-rate"),
        st.Page("pages/batch_size.py", title="Batch size", icon="🧺", url_path="batch-size"),
        st.Page("pages/momentum.py", title="Momentum", icon="🎳", url_path="momentum"),
    ],
    "Your data": [
        st.Page("pages/data.py", title="Data", icon="📄", url_path="data"),
        st.Page("pages/export.py", title="Export and share", icon="🔗", url_path="export"),
    ],
}
navigation = st.navigation(pages)
shared_sidebar()
navigation.run()
