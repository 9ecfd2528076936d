"""Referral intake endpoints (`views.py`) and their URLs (`urls.py`): /api/cases/referrals/."""
