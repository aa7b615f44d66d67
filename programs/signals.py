"""Signals the money app sends for apps that read it (it imports none of them)."""

from django.dispatch import Signal

# Sent inside the transaction of a load that wrote rows with the database triggers off
# (``generate_national``): anything those triggers keep — the rollup's change log — missed them.
bulk_loaded = Signal()
