"""Login lockout (django-axes) per username *and* address, with a much higher bound per address.

Axes counts failures per lockout parameter and locks when any count passes one limit. A
province office behind one NAT address then locked itself out after ten typos from anyone, and
anyone could lock any known username from anywhere. Here:

- ``LOGIN_FAILURE_LIMIT`` failures of one username from one address lock that pair only;
- ``LOGIN_FAILURE_LIMIT_PER_ADDRESS`` failures from one address, any usernames, lock the address
  (a password-guessing run), far above what one office's typos reach.

A coordinator or the national admin lifts a lockout from the user's page (``accounts.keys.unlock``).
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


class PairAndAddressHandler(AxesDatabaseHandler):
    """``AXES_LOCKOUT_PARAMETERS`` is ``[["username", "ip_address"], "ip_address"]``: the
    querysets come in that order and each has its own limit."""

    def is_locked(self, request, credentials=None) -> bool:
        if not settings.AXES_LOCK_OUT_AT_FAILURE:
            return False
        pair, address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        return pair >= settings.AXES_FAILURE_LIMIT or address >= settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS
