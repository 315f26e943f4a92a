"""Squadboard: page config, who is looking, the navigation for their role. No SQL here."""

import streamlit as st

from squadboard import ui

# An emoji favicon is drawn locally; a :material/...: one is fetched from fonts.gstatic.com.
st.set_page_config(page_title="Squadboard", page_icon="👥", layout="wide")

viewer = ui.viewer()
st.session_state["viewer"] = viewer

# Every page: (section, file, title, icon, who may open it: "all" or "leader" = leaders and
# admins). Pages that write check the role again themselves.
PAGES = [
    ("Attainment", "pages/my_squad.py", "My squad", ":material/home:", "all"),
    ("Attainment", "pages/squads.py", "Squads", ":material/leaderboard:", "all"),
    ("Attainment", "pages/targets.py", "Targets", ":material/flag:", "all"),
    ("Contribution", "pages/leaderboards.py", "Leaderboards", ":material/emoji_events:", "all"),
    ("Contribution", "pages/claims.py", "Credit claims", ":material/handshake:", "all"),
    ("Contribution", "pages/pods.py", "Deal pods", ":material/diversity_3:", "all"),
    ("Contribution", "pages/kudos.py", "Kudos", ":material/volunteer_activism:", "all"),
    ("Contribution", "pages/profile.py", "Collaboration profile", ":material/badge:", "all"),
    ("Contribution", "pages/masterminds.py", "Masterminds", ":material/groups:", "all"),
    ("Data", "pages/imports.py", "Import", ":material/upload_file:", "leader"),
    ("Data", "pages/settings.py", "Plan settings", ":material/tune:", "leader"),
]

# A rep's home is their own squad; a leader's is every squad side by side.
home = "pages/squads.py" if viewer.is_leader else "pages/my_squad.py"
sections: dict[str, list] = {}
for section, path, title, icon, audience in PAGES:
    if audience == "all" or viewer.is_leader:
        sections.setdefault(section, []).append(
            st.Page(path, title=title, icon=icon, default=path == home)
        )

st.navigation(sections).run()
