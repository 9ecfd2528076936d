"""Explicit access to one case: the grants, break-glass access and its review, with the rules of
who may (`services.py`), and the pages: what was shared with me, break glass, its review, a
case's access log and grants (`forms.py`, shape only, `views.py`, `urls.py`)."""
