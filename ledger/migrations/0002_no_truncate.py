"""The log and its checkpoints refuse TRUNCATE too (UPDATE and DELETE are refused by the
``append_only`` triggers of 0001). A database whose sessions set ``ikmrelief.allow_truncate`` to
``on`` — the test database only, so that Django can empty it between tests — lets it through."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('ikmrelief.allow_truncate', true), '') = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'ledger: % is append-only; TRUNCATE refused', TG_TABLE_NAME;
END $$;
"""
TABLES = ("ledger_entry", "ledger_checkpoint")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS ledger_refuse_truncate();"),
        *(migrations.RunSQL(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};") for table in TABLES),
    ]
