"""Squadboard: page config, who is looking, the navigation for their role. No SQL here."""

import streamlit as st

from squadboard import ui

st.set_page_config(page_title="Squadboard", page_icon=":material/groups:", layout="wide")

viewer = ui.viewer()
st.session_state["viewer"] = viewer

pages = {
    "Attainment": [
        st.Page("pages/squads.py", title="Squads", icon=":material/leaderboard:", default=True),
    ],
}
if viewer.is_leader:
    pages["Data"] = [
        st.Page("pages/imports.py", title="Import", icon=":material/upload_file:"),
    ]

st.navigation(pages).run()
