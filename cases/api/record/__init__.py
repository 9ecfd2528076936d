"""Case record endpoints (`views.py`) and their URLs under /api/cases/<pk>/ (`urls.py`, which also
lists the case's access log and grants from `cases.api.access`)."""
