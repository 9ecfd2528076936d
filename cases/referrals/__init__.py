"""Referral intake: the reads (`selectors.py`), the rules of a referral's input (`rules.py`),
the one write, `record_referral` (`services.py`), and the pages: the one-page form
(`forms.py`, shape only), its views (`views.py`) and URLs (`urls.py`)."""
