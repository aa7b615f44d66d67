"""Reference data: the funding sources named in the articles (shared/seeds)."""

from django.db import migrations

from programs.reference import funding_sources_load


def forwards(apps, schema_editor):
    funding_sources_load(apps.get_model("programs", "FundingSource"))


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
