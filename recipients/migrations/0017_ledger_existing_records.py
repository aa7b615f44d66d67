"""Every public record that exists when the ledger is created enters it, once, in a fixed order
(``recipients.ledger_backfill``); the ledger's worker then integrates them like any other entries.
A database without budget records (a fresh one) has nothing to do here.

This migration reads through the application's current models (the published fields are decided
by them, not by the historical schema): it belongs to the release that creates the ledger."""

from django.db import migrations


def forwards(apps, schema_editor):
    if not apps.get_model("programs", "BudgetCeiling").objects.exists():
        return
    from recipients import ledger_backfill  # noqa: PLC0415

    ledger_backfill.record_existing()


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_no_truncate"),
        ("programs", "0015_realization_allocation_date_id_index"),
        ("recipients", "0016_import_preview"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
