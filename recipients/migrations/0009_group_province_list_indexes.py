"""The group's province next to its regency (a trigger keeps it), and the indexes the staff lists
seek on at national scale; pg_trgm for staff search."""

import django.contrib.postgres.indexes
import django.db.models.deletion
import django.db.models.functions.text
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_search_indexes'),
        ('programs', '0014_realization_programs_real_date_id'),
        ('recipients', '0008_step_submission_id'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='recipientgroup',
            name='insert_insert',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='recipientgroup',
            name='update_update',
        ),
        migrations.AddField(
            model_name='recipientgroup',
            name='province',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.region', verbose_name='provinsi'),
        ),
        migrations.AddField(
            model_name='recipientgroupevent',
            name='province',
            field=models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='core.region', verbose_name='provinsi'),
        ),
        # Existing groups get their province while the history triggers are off (a derived
        # column, not an edit anyone made); the group_province trigger keeps it from here on.
        migrations.RunSQL(
            "UPDATE recipients_recipientgroup g SET province_id = r.parent_id FROM core_region r "
            "WHERE r.id = g.regency_id",
            migrations.RunSQL.noop,
        ),
        TrigramExtension(),
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['-updated_at', '-id'], name='recipients_app_updated'),
        ),
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['state', '-updated_at', '-id'], name='recipients_app_state_updated'),
        ),
        migrations.AddIndex(
            model_name='recipientgroup',
            index=models.Index(fields=['name', 'id'], name='recipients_group_name'),
        ),
        migrations.AddIndex(
            model_name='recipientgroup',
            index=models.Index(fields=['province', 'name', 'id'], name='recipients_group_prov_name'),
        ),
        migrations.AddIndex(
            model_name='recipientgroup',
            index=models.Index(fields=['regency', 'name', 'id'], name='recipients_group_reg_name'),
        ),
        migrations.AddIndex(
            model_name='recipientgroup',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper('name'), name='gin_trgm_ops'), name='recipients_group_name_trgm'),
        ),
        migrations.AddIndex(
            model_name='recipientgroup',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper('leader_name'), name='gin_trgm_ops'), name='recipients_group_leader_trgm'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='recipientgroup',
            trigger=pgtrigger.compiler.Trigger(name='group_province', sql=pgtrigger.compiler.UpsertTriggerSql(func='NEW.province_id := (SELECT parent_id FROM core_region WHERE id = NEW.regency_id); RETURN NEW;', hash='54ea7f509c4fa8efb58f579fd15e8da839dafe01', operation='INSERT OR UPDATE', pgid='pgtrigger_group_province_b5075', table='recipients_recipientgroup', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='recipientgroup',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "recipients_recipientgroupevent" ("contact_phone", "created_at", "created_by_id", "desa", "id", "import_batch_id", "kecamatan", "kind", "leader_name", "leader_nik", "members_count", "name", "name_withheld_reason", "nib", "normalized_name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "province_id", "regency_id", "sector", "version") VALUES (NEW."contact_phone", NEW."created_at", NEW."created_by_id", NEW."desa", NEW."id", NEW."import_batch_id", NEW."kecamatan", NEW."kind", NEW."leader_name", NEW."leader_nik", NEW."members_count", NEW."name", NEW."name_withheld_reason", NEW."nib", NEW."normalized_name", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."province_id", NEW."regency_id", NEW."sector", NEW."version"); RETURN NULL;', hash='9231d23fc5a305a53df9eddae336cba7a4ab8c24', operation='INSERT', pgid='pgtrigger_insert_insert_7ab30', table='recipients_recipientgroup', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='recipientgroup',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "recipients_recipientgroupevent" ("contact_phone", "created_at", "created_by_id", "desa", "id", "import_batch_id", "kecamatan", "kind", "leader_name", "leader_nik", "members_count", "name", "name_withheld_reason", "nib", "normalized_name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "province_id", "regency_id", "sector", "version") VALUES (NEW."contact_phone", NEW."created_at", NEW."created_by_id", NEW."desa", NEW."id", NEW."import_batch_id", NEW."kecamatan", NEW."kind", NEW."leader_name", NEW."leader_nik", NEW."members_count", NEW."name", NEW."name_withheld_reason", NEW."nib", NEW."normalized_name", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."province_id", NEW."regency_id", NEW."sector", NEW."version"); RETURN NULL;', hash='6ed0ad0c618ebc03bffb34977498d31a9ecf608f', operation='UPDATE', pgid='pgtrigger_update_update_637d8', table='recipients_recipientgroup', when='AFTER')),
        ),
    ]
