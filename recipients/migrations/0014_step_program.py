"""Each verification step carries its application's program (issue 28), kept by the database:
a trigger fills it on every insert (the services, bulk creates, COPY in generate_national) and
follows a change of the application's program; existing steps are filled here. Partial indexes
serve the public decisions trail (approvals and deliveries, newest first; the value delivered)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


FILL_AND_KEEP = """
UPDATE recipients_verificationstep s SET program_id = ap.program_id
FROM recipients_application ap WHERE ap.id = s.application_id;

CREATE FUNCTION recipients_step_program() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.program_id := (SELECT program_id FROM recipients_application WHERE id = NEW.application_id);
    RETURN NEW;
END $$;
CREATE TRIGGER recipients_step_program BEFORE INSERT OR UPDATE OF application_id, program_id
ON recipients_verificationstep FOR EACH ROW EXECUTE FUNCTION recipients_step_program();

CREATE FUNCTION recipients_application_program() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE recipients_verificationstep SET program_id = NEW.program_id WHERE application_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER recipients_application_program AFTER UPDATE OF program_id ON recipients_application
FOR EACH ROW WHEN (OLD.program_id IS DISTINCT FROM NEW.program_id)
EXECUTE FUNCTION recipients_application_program();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('programs', '0015_realization_allocation_date_id_index'),
        ('recipients', '0013_retention'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='verificationstep',
            name='program',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='programs.program'),
        ),
        migrations.RunSQL(
            sql=FILL_AND_KEEP,
            reverse_sql="""
                DROP TRIGGER IF EXISTS recipients_step_program ON recipients_verificationstep;
                DROP TRIGGER IF EXISTS recipients_application_program ON recipients_application;
                DROP FUNCTION IF EXISTS recipients_step_program();
                DROP FUNCTION IF EXISTS recipients_application_program();
            """,
        ),
        migrations.AddIndex(
            model_name='verificationstep',
            index=models.Index(condition=models.Q(('to_state__in', ('approved', 'delivered'))), fields=['-created_at', '-id'], name='recipients_step_public'),
        ),
        migrations.AddIndex(
            model_name='verificationstep',
            index=models.Index(condition=models.Q(('to_state__in', ('approved', 'delivered'))), fields=['program', '-created_at', '-id'], name='recipients_step_public_prog'),
        ),
        migrations.AddIndex(
            model_name='verificationstep',
            index=models.Index(condition=models.Q(('to_state', 'delivered')), fields=['program'], include=('handover_amount',), name='recipients_step_delivered'),
        ),
    ]
