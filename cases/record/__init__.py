"""The case record's pages: the team around the child, recorded views, information-sharing
decisions, notes and the chronology (`forms.py`, shape only, `views.py`), and the URLs under a
case (`urls.py`, which also lists the case's access log and grants from `cases.access`)."""
