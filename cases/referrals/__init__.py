"""Referral intake: the reads (`selectors.py`), the rules of a referral's input (`rules.py`)
and the one write, `record_referral` (`services.py`)."""
