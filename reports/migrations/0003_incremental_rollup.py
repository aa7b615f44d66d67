"""The incremental rollup: the realized-money cells it keeps, and the change log the database
writes in the same transaction as every change that moves a public figure (``reports.rollup``).

The log is written by triggers rather than by each service, so no writer can forget it: the
services, an import, the admin, a COPY with triggers on, a fix by hand. The cells are filled
here from the raw rows, and the months and the application counts rebuilt, so the state the log
builds on is exact from this migration on.
"""

import django.db.models.deletion
import django.db.models.functions.datetime
from django.db import migrations, models

TRIGGERS = r"""
CREATE OR REPLACE FUNCTION reports_log_realization() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    -- The cell this realization adds to: its allocation's regency (a handover's group regency is
    -- settled by the recheck its verification step logs).
    INSERT INTO reports_rollupchange (kind, allocation_id, regency_id, month, amount, illustrative)
    SELECT 'realized', NEW.allocation_id, a.regency_id, date_trunc('month', NEW.date)::date, NEW.amount,
           NEW.is_illustrative
    FROM programs_allocation a WHERE a.id = NEW.allocation_id;
    IF NEW.reverses_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM recipients_verificationstep WHERE realization_id = NEW.reverses_id) THEN
      INSERT INTO reports_rollupchange (kind, allocation_id) VALUES ('recheck', NEW.allocation_id);
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO reports_rollupchange (kind, allocation_id) VALUES ('recheck', OLD.allocation_id);
  ELSIF (NEW.allocation_id, NEW.date, NEW.amount, NEW.is_illustrative, NEW.reverses_id)
        IS DISTINCT FROM (OLD.allocation_id, OLD.date, OLD.amount, OLD.is_illustrative, OLD.reverses_id) THEN
    INSERT INTO reports_rollupchange (kind, allocation_id) VALUES ('recheck', OLD.allocation_id), ('recheck', NEW.allocation_id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER reports_log_realization AFTER INSERT OR UPDATE OR DELETE ON programs_realization
  FOR EACH ROW EXECUTE FUNCTION reports_log_realization();

CREATE OR REPLACE FUNCTION reports_log_allocation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.ceiling_id, NEW.program_id) IS DISTINCT FROM (OLD.ceiling_id, OLD.program_id) THEN
    -- its months move to another province or program: more than a recheck can say
    INSERT INTO reports_rollupchange (kind, allocation_id) VALUES ('full', NEW.id);
  ELSIF NEW.regency_id IS DISTINCT FROM OLD.regency_id THEN
    INSERT INTO reports_rollupchange (kind, allocation_id) VALUES ('recheck', NEW.id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER reports_log_allocation AFTER UPDATE ON programs_allocation
  FOR EACH ROW EXECUTE FUNCTION reports_log_allocation();

CREATE OR REPLACE FUNCTION reports_log_handover() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.realization_id IS NOT NULL
     AND (TG_OP = 'DELETE' OR NEW.realization_id IS DISTINCT FROM OLD.realization_id) THEN
    INSERT INTO reports_rollupchange (kind, allocation_id)
    SELECT 'recheck', allocation_id FROM programs_realization WHERE id = OLD.realization_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.realization_id IS NOT NULL
     AND (TG_OP = 'INSERT' OR NEW.realization_id IS DISTINCT FROM OLD.realization_id) THEN
    INSERT INTO reports_rollupchange (kind, allocation_id)
    SELECT 'recheck', allocation_id FROM programs_realization WHERE id = NEW.realization_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER reports_log_handover AFTER INSERT OR UPDATE OR DELETE ON recipients_verificationstep
  FOR EACH ROW EXECUTE FUNCTION reports_log_handover();

CREATE OR REPLACE FUNCTION reports_log_application() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND (NEW.state, NEW.program_id, NEW.group_id) IS NOT DISTINCT FROM
                          (OLD.state, OLD.program_id, OLD.group_id) THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO reports_rollupchange (kind, fiscal_year, province_id, regency_id, program_id, state, groups,
                                      beneficiaries)
    SELECT 'applications', p.fiscal_year, r.parent_id, g.regency_id, OLD.program_id, OLD.state, -1, -g.members_count
    FROM programs_program p, recipients_recipientgroup g JOIN core_region r ON r.id = g.regency_id
    WHERE p.id = OLD.program_id AND g.id = OLD.group_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO reports_rollupchange (kind, fiscal_year, province_id, regency_id, program_id, state, groups,
                                      beneficiaries)
    SELECT 'applications', p.fiscal_year, r.parent_id, g.regency_id, NEW.program_id, NEW.state, 1, g.members_count
    FROM programs_program p, recipients_recipientgroup g JOIN core_region r ON r.id = g.regency_id
    WHERE p.id = NEW.program_id AND g.id = NEW.group_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER reports_log_application AFTER INSERT OR UPDATE OR DELETE ON recipients_application
  FOR EACH ROW EXECUTE FUNCTION reports_log_application();

CREATE OR REPLACE FUNCTION reports_log_group() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.regency_id, NEW.members_count) IS NOT DISTINCT FROM (OLD.regency_id, OLD.members_count) THEN
    RETURN NULL;
  END IF;
  INSERT INTO reports_rollupchange (kind, fiscal_year, province_id, regency_id, program_id, state, groups,
                                    beneficiaries)
  SELECT 'applications', p.fiscal_year, r.parent_id, OLD.regency_id, a.program_id, a.state, -1, -OLD.members_count
  FROM recipients_application a JOIN programs_program p ON p.id = a.program_id, core_region r
  WHERE a.group_id = OLD.id AND r.id = OLD.regency_id
  UNION ALL
  SELECT 'applications', p.fiscal_year, r.parent_id, NEW.regency_id, a.program_id, a.state, 1, NEW.members_count
  FROM recipients_application a JOIN programs_program p ON p.id = a.program_id, core_region r
  WHERE a.group_id = NEW.id AND r.id = NEW.regency_id;
  IF NEW.regency_id IS DISTINCT FROM OLD.regency_id THEN  -- its handovers reached another regency
    INSERT INTO reports_rollupchange (kind, allocation_id)
    SELECT DISTINCT 'recheck', rz.allocation_id
    FROM recipients_application a JOIN recipients_verificationstep s ON s.application_id = a.id
    JOIN programs_realization rz ON rz.id = s.realization_id WHERE a.group_id = NEW.id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER reports_log_group AFTER UPDATE ON recipients_recipientgroup
  FOR EACH ROW EXECUTE FUNCTION reports_log_group();

CREATE OR REPLACE FUNCTION reports_log_program() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.fiscal_year IS DISTINCT FROM OLD.fiscal_year THEN
    INSERT INTO reports_rollupchange (kind, program_id) VALUES ('full', NEW.id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER reports_log_program AFTER UPDATE ON programs_program
  FOR EACH ROW EXECUTE FUNCTION reports_log_program();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS reports_log_realization ON programs_realization; DROP FUNCTION IF EXISTS reports_log_realization();
DROP TRIGGER IF EXISTS reports_log_allocation ON programs_allocation; DROP FUNCTION IF EXISTS reports_log_allocation();
DROP TRIGGER IF EXISTS reports_log_handover ON recipients_verificationstep; DROP FUNCTION IF EXISTS reports_log_handover();
DROP TRIGGER IF EXISTS reports_log_application ON recipients_application; DROP FUNCTION IF EXISTS reports_log_application();
DROP TRIGGER IF EXISTS reports_log_group ON recipients_recipientgroup; DROP FUNCTION IF EXISTS reports_log_group();
DROP TRIGGER IF EXISTS reports_log_program ON programs_program; DROP FUNCTION IF EXISTS reports_log_program();
"""

FILL = """
INSERT INTO reports_realizedcell (allocation_id, regency_id, month, amount, n, illustrative)
SELECT r.allocation_id, COALESCE(h.regency_id, a.regency_id), date_trunc('month', r.date)::date,
       SUM(r.amount), COUNT(*), bool_or(r.is_illustrative)
FROM programs_realization r
JOIN programs_allocation a ON a.id = r.allocation_id
LEFT JOIN (
    SELECT s.realization_id, g.regency_id
    FROM recipients_verificationstep s
    JOIN recipients_application ap ON ap.id = s.application_id
    JOIN recipients_recipientgroup g ON g.id = ap.group_id
    WHERE s.realization_id IS NOT NULL
) h ON h.realization_id = COALESCE(r.reverses_id, r.id)
GROUP BY 1, 2, 3;
DELETE FROM programs_realizationmonthly;
INSERT INTO programs_realizationmonthly (province_id, regency_id, program_id, month, amount)
SELECT c.province_id, x.regency_id, a.program_id, x.month, SUM(x.amount)
FROM reports_realizedcell x
JOIN programs_allocation a ON a.id = x.allocation_id
JOIN programs_budgetceiling c ON c.id = a.ceiling_id
GROUP BY 1, 2, 3, 4;
DELETE FROM recipients_applicationrollup;
INSERT INTO recipients_applicationrollup (fiscal_year, province_id, regency_id, program_id, state, groups, beneficiaries)
SELECT p.fiscal_year, r.parent_id, g.regency_id, a.program_id, a.state, COUNT(*), SUM(g.members_count)
FROM recipients_application a
JOIN recipients_recipientgroup g ON g.id = a.group_id
JOIN core_region r ON r.id = g.regency_id
JOIN programs_program p ON p.id = a.program_id
GROUP BY 1, 2, 3, 4, 5;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_search_indexes'),
        ('programs', '0014_realization_programs_real_date_id'),
        ('reports', '0002_illustrative_flags'),
        ('recipients', '0010_export_jobs'),  # the triggers read groups, applications and steps
    ]

    operations = [
        migrations.CreateModel(
            name='RollupChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=12)),
                ('allocation_id', models.BigIntegerField(null=True)),
                ('regency_id', models.BigIntegerField(null=True)),
                ('month', models.DateField(null=True)),
                ('amount', models.BigIntegerField(null=True)),
                ('illustrative', models.BooleanField(null=True)),
                ('fiscal_year', models.PositiveSmallIntegerField(null=True)),
                ('province_id', models.BigIntegerField(null=True)),
                ('program_id', models.BigIntegerField(null=True)),
                ('state', models.CharField(max_length=15, null=True)),
                ('groups', models.IntegerField(null=True)),
                ('beneficiaries', models.BigIntegerField(null=True)),
                ('created_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
            ],
            options={
                'db_table': 'reports_rollupchange',
            },
        ),
        migrations.AddField(
            model_name='rolluprun',
            name='changes',
            field=models.IntegerField(default=0),
        ),
        migrations.AddField(
            model_name='rolluprun',
            name='mismatches',
            field=models.IntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='rolluprun',
            name='mode',
            field=models.CharField(choices=[('full', 'Penuh'), ('incremental', 'Bertahap')], default='full', max_length=12),
        ),
        migrations.CreateModel(
            name='RealizedCell',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('amount', models.BigIntegerField()),
                ('n', models.BigIntegerField()),
                ('illustrative', models.BooleanField()),
                ('allocation', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='programs.allocation')),
                ('regency', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.region')),
            ],
            options={
                'db_table': 'reports_realizedcell',
                'constraints': [models.UniqueConstraint(fields=('allocation', 'regency', 'month'), name='reports_cell_unique', nulls_distinct=False)],
            },
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
    ]
