"""The public ledger: ``ledger.record(kind, obj, actor)`` in the transaction of every public budget
event (``ledger.entries``); the log, its tiles and checkpoints (``ledger.log``)."""
