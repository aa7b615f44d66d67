"""The shell's own pages: the staff dashboard, which gathers what each app has for the
signed-in role (the only page that reads every app)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from programs.policy import sees_province_budgets
from programs.selectors import ceilings_visible_to
from recipients.policy import acts_in_verification
from recipients.selectors import latest_returns, waiting_summary
from reports import cases, ledger_audit
from reports.models import Flag, RollupRun
from reports.policy import sees_flag_summary, sees_national_overview, sees_opd_absorption, sees_province_absorption
from reports.rollup import last_success
from reports.selectors import national_overview, opd_absorption, province_absorption


@login_required
def dashboard(request):
    """Where staff land after login: what waits for them (oldest first), their OPD's absorption,
    the latest returns, and for the national admin absorption by province and the rollup's health.
    Which sections a role sees is asked of each app's policy module.
    A fixed number of queries: the waiting counts are one GROUP BY, budgets come from the rollup."""
    user = request.user
    context = {"ceilings": [], "waiting": [], "returns": [], "absorption": [], "national": None}
    if sees_flag_summary(user):  # one GROUP BY
        counts = cases.counts_by_state(cases.flags_visible_to(user))
        context["flag_counts"] = [(state.label, counts.get(state.value, 0)) for state in Flag.State]
        context["flags_waiting"] = counts.get(Flag.State.OPEN, 0) + counts.get(Flag.State.REVIEW, 0)
    if sees_province_budgets(user):
        context["ceilings"] = ceilings_visible_to(user).order_by("-fiscal_year", "funding_source__code")[:20]
    if acts_in_verification(user):
        context["waiting"] = waiting_summary(user)
        context["returns"] = latest_returns(user)
    if sees_opd_absorption(user):
        context["absorption"] = opd_absorption(user.agency_id)
    if sees_province_absorption(user):
        context["province_absorption"] = province_absorption(user.province_id)
    if sees_national_overview(user):
        context["national"] = national_overview()
        context["last_success"] = last_success()
        context["last_run"] = RollupRun.objects.order_by("-queued_at", "-id").first()
        context["ledger_audit"] = ledger_audit.latest()
    return render(request, "core/dashboard.html", context)
