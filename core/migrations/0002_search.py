from django.db import migrations

from core.search import DROP_SQL, FUNCTION_SQL


class Migration(migrations.Migration):
    """The search function the catalogue's GIN indexes are built on (see core/search.py)."""

    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunSQL(FUNCTION_SQL, DROP_SQL)]
