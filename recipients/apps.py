from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Groups and beneficiaries per state, rebuilt in the same transaction as the budget rollup.
APPLICATION_ROLLUP_COLUMNS = "fiscal_year, province_id, regency_id, program_id, state, groups, beneficiaries"
APPLICATION_ROLLUP = """
SELECT p.fiscal_year, r.parent_id, g.regency_id, a.program_id, a.state, COUNT(*), SUM(g.members_count)
FROM recipients_application a
JOIN recipients_recipientgroup g ON g.id = a.group_id
JOIN core_region r ON r.id = g.regency_id
JOIN programs_program p ON p.id = a.program_id
GROUP BY p.fiscal_year, r.parent_id, g.regency_id, a.program_id, a.state
"""


class RecipientsConfig(AppConfig):
    name = "recipients"
    verbose_name = _("Kelompok penerima dan verifikasi")

    def ready(self):
        from programs import rollup

        entry = ("applications", "recipients_applicationrollup", APPLICATION_ROLLUP_COLUMNS, APPLICATION_ROLLUP)
        if entry not in rollup.TABLES:
            rollup.TABLES.append(entry)
