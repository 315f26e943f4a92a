"""Squadboard: page config, who is looking, the navigation for their role. No SQL here."""

import streamlit as st

from squadboard import ui

# An emoji favicon is drawn locally; a :material/...: one is fetched from fonts.gstatic.com.
st.set_page_config(page_title="Squadboard", page_icon="👥", layout="wide")

viewer = ui.viewer()
st.session_state["viewer"] = viewer

# Every page: (section, file, title, icon, who may open it: "all" or "leader" = leaders and
# admins). Pages that write check the role again themselves. A page's URL is its file's name
# (pages/squads.py -> /squads), the same for every role (ui.page_url).
PAGES = [
    ("Attainment", "pages/my_squad.py", "My squad", ":material/home:", "all"),
    ("Attainment", "pages/squads.py", "Squads", ":material/leaderboard:", "all"),
    ("Attainment", "pages/targets.py", "Targets", ":material/flag:", "all"),
    ("Contribution", "pages/leaderboards.py", "Leaderboards", ":material/emoji_events:", "all"),
    ("Contribution", "pages/claims.py", "Credit claims", ":material/handshake:", "all"),
    ("Contribution", "pages/pods.py", "Deal pods", ":material/diversity_3:", "all"),
    ("Contribution", "pages/kudos.py", "Kudos", ":material/volunteer_activism:", "all"),
    ("Contribution", "pages/profile.py", "Collaboration profile", ":material/badge:", "all"),
    ("Mentoring", "pages/mentor.py", "Find a mentor", ":material/school:", "all"),
    ("Mentoring", "pages/mentoring.py", "Mentoring", ":material/front_hand:", "all"),
    ("Contribution", "pages/masterminds.py", "Masterminds", ":material/groups:", "all"),
    ("Data", "pages/imports.py", "Import", ":material/upload_file:", "leader"),
    ("Data", "pages/settings.py", "Plan settings", ":material/tune:", "leader"),
    ("Meeting", "pages/meeting.py", "Weekly meeting", ":material/co_present:", "all"),
]

# Every page has one URL, the same for every role: its file's name (/squads, /my_squad...). No
# page is Streamlit's default page, which is served at "/" only (so /squads would be "Page not
# found" for whoever has Squads as home): "/" is a hidden page that sends each viewer on to
# their home, with the link's ?period=...&squad=... kept.
home = "pages/squads.py" if viewer.is_leader else "pages/my_squad.py"
sections: dict[str, list] = {}
hidden: list = []
for section, path, title, icon, audience in PAGES:
    if audience == "all" or viewer.is_leader:
        page = st.Page(path, title=title, icon=icon, url_path=ui.page_url(path))
        sections.setdefault(section, []).append(page)
        if path == home:
            home_page = page
    else:
        # A page this viewer may not open: its URL says so in words.
        hidden.append(ui.forbidden_page(title, ui.page_url(path), audience))
known = {ui.page_url(row[1]) for row in PAGES}
hidden.append(ui.home_page(home_page))
hidden.extend(ui.unknown_page(known))  # a typed URL of no page: said in words
sections[next(iter(sections))].extend(hidden)

st.navigation(sections).run()
