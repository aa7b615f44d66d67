"""Cosignatures refuse TRUNCATE like the log and its checkpoints (see 0002)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_cosignature")]

    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER ledger_cosignature_no_truncate BEFORE TRUNCATE ON ledger_cosignature "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();",
            "DROP TRIGGER IF EXISTS ledger_cosignature_no_truncate ON ledger_cosignature;"),
    ]
