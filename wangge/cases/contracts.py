"""What the cases app tells the rest of the system. Other apps that file cases (deliberation's
tasks, for one) listen to `case_moved` instead of the cases app importing them.

`case_moved` is sent inside the transaction of every move of the workflow table, after the move
is written, so a receiver's writes commit or roll back with it. Keyword arguments:

- `case` (Case): the case as it now is.
- `action` (str): the move's name, e.g. "close".
- `from_status`, `to_status` (str): the statuses before and after.
- `actor` (User | None): who moved it; None is the system.
"""

import django.dispatch

case_moved = django.dispatch.Signal()
