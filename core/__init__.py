"""The bottom of the house: what every app may import and what imports no app.

Domain errors (`errors.py`), the marked PDF page (`pdf.py`), CSV and XLSX with formulas
neutralised (`spreadsheets.py`), input validation shared by services and serializers
(`validation.py`), the documented maximums (`limits.py`) and the real client address behind
the proxy (`client_address.py`). A plain package, not a Django app: it has no models,
templates or settings of its own. import-linter (pyproject.toml) keeps it importing nothing
of the project.
"""
