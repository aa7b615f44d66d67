"""Check IKM Relief's public budget ledger without trusting the site (see README.md)."""

__version__ = "0.1.0"
