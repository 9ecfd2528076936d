"""The case process: a case moving through its pinned pathway version.

`flow.py` is the one viewflow flow (`PathwayFlow`) and the row lock; `engine.py` opens and
moves cases; `task_rows.py` is the only writer of viewflow's task, link and process rows
(with the case's own rows, one statement per new case or move); `migration.py` moves open
cases to a later version; `timers.py` is the timer worker's claim and fire. Imports run one
way: engine and migration -> task_rows -> flow.
"""
