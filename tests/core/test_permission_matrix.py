"""Every staff URL × every demo login × an object in and out of their scope, on the demo data.

One row per URL: the status each login gets on GET (200 page, 302 to the login page, 403 not
their role, 404 not in their scope). Writes are POSTed by every login too: a login that may
not GET a write page gets the same refusal on POST and nothing changes; no request is a 500.
The roles these rows encode are the table in README.md ("Roles").
"""

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.demo import load_users
from accounts.models import User
from programs.demo import load_budgets
from programs.models import Allocation, BudgetCeiling, Program, Realization
from recipients import policy
from recipients.demo import load_recipients
from recipients.models import Application, RecipientGroup, State, VerificationStep
from reports import flags
from reports.models import Flag, FlagEvent

pytestmark = pytest.mark.django_db

LOGINS = ["bpkad", "banten", "dinsos", "kalsel", "serang", "dinsos-serang", "lebak", "dpo-banten", "inspektorat",
          "admin"]
# Banten's logins; its inspectorate's auditor reads what the province reads and writes nothing
# but red-flag decisions.
BANTEN = {"bpkad", "banten", "dinsos", "serang", "dinsos-serang", "lebak", "inspektorat"}
# The data-protection officer reads the access log and answers data requests; every group, budget
# and account page refuses it (403), or does not find the object in its scope (404) where a page
# looks the object up before the role.
DPO = "dpo-banten"
DPO_PAGES = {"dashboard", "accounts:inbox", "accounts:my-account", "recipients:access-log",
             "recipients:data-request"}
DPO_NOT_FOUND = {"programs:ceiling-edit", "programs:allocation-revise", "programs:realization-create",
                 "programs:realization-reverse", "programs:program-edit", "recipients:group-edit"}
STAFF = BANTEN | {"kalsel", "admin"}


def everyone(status):
    return dict.fromkeys(STAFF, status)


def expected_status(login, name, table) -> int:
    if login is None:
        return 302
    if login == DPO:
        return table.get(DPO) or (200 if name in DPO_PAGES else 404 if name in DPO_NOT_FOUND else 403)
    return table[login]


def _forbidden_niks(user) -> set[str]:
    """Every NIK in the database that ``user`` may not see in full (all of them for the public)."""
    out = set()
    for group in RecipientGroup.objects.prefetch_related("members"):
        if user is None or not policy.may_see_nik(user, group):
            out |= {group.leader_nik, *(m.nik for m in group.members.all())} - {""}
    return out


def _leaked(response, niks: set[str]) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", errors="replace")
    return sorted(n for n in niks if n in text)


def only(allowed, *, refused=403, hidden=(), status=200):
    """``allowed`` get ``status``; ``hidden`` logins get 404 (out of scope); the rest ``refused``."""
    table = everyone(refused)
    table.update(dict.fromkeys(allowed, status))
    table.update(dict.fromkeys(hidden, 404))
    return table


def _objects():
    ceiling_in = BudgetCeiling.objects.get(province__code="36", fiscal_year=2020, funding_source__code="apbd-prov")
    masks = Program.objects.get(name__startswith="Bantuan teknis dan peralatan produksi masker")
    uep = Program.objects.get(name__startswith="Usaha Ekonomi Produktif")
    alloc_in = Allocation.objects.filter(program=masks).first()
    alloc_uep = Allocation.objects.filter(program=uep).first()
    group = {name: RecipientGroup.objects.get(name=name) for name in (
        "Kelompok Bordir Baros", "Kelompok Masker Kain Ciruas", "KPM Warung Sembako Ciruas",
        "IKM Logam Pandai Besi Negara")}
    app = {g: Application.objects.get(group__name=g) for g in (
        "Kelompok Bordir Baros", "Kelompok Perajin Tas Pontang", "Kelompok Konveksi Mandiri Anyer",
        "KPM Warung Sembako Ciruas")}
    return {
        "ceiling_in": ceiling_in.pk,
        "ceiling_out": BudgetCeiling.objects.filter(province__code="63").first().pk,
        "alloc_in": alloc_in.pk, "alloc_uep": alloc_uep.pk,
        "alloc_out": Allocation.objects.filter(ceiling__province__code="63").first().pk,
        "realization_in": Realization.objects.filter(allocation=alloc_in).first().pk,
        "program_in": masks.pk, "program_uep": uep.pk,
        "returned_group": group["Kelompok Bordir Baros"].pk, "delivered_group": group["Kelompok Masker Kain Ciruas"].pk,
        "kpm_group": group["KPM Warung Sembako Ciruas"].pk, "kalsel_group": group["IKM Logam Pandai Besi Negara"].pk,
        "returned_app": app["Kelompok Bordir Baros"].pk, "proposed_app": app["Kelompok Perajin Tas Pontang"].pk,
        "field_checked_app": app["Kelompok Konveksi Mandiri Anyer"].pk, "kpm_app": app["KPM Warung Sembako Ciruas"].pk,
        "serang_user": User.objects.get(username="serang").pk, "kalsel_user": User.objects.get(username="kalsel").pk,
        "csv": "csv",
        "flag_in": Flag.objects.get(indicator="R06", evidence__applications=[
            Application.objects.get(group__name="KUB Jahit Makmur Kramatwatu").pk]).pk,
    }


IKM_SERANG_HIDDEN = ("dinsos-serang", "lebak", "kalsel")

# (url name, args from _objects, GET status per login, POST data or None for read-only pages)
ROWS = [
    ("dashboard", (), everyone(200), None),
    ("accounts:inbox", (), everyone(200), None),
    ("programs:ceiling-list", (), everyone(200), None),
    ("programs:allocation-list", (), everyone(200), None),
    ("programs:realization-list", (), everyone(200), None),
    ("programs:program-list", (), everyone(200), None),
    ("reports:rollup-status", (), everyone(200), None),
    ("reports:report-realization", (), only({"bpkad", "banten", "dinsos", "kalsel", "admin"}), None),
    ("reports:flag-list", (), only({"bpkad", "banten", "dinsos", "kalsel", "inspektorat", "admin"}), None),
    # A demo approval made in seconds (R06): Disperindag Banten answers it, the auditor decides it.
    ("reports:flag-detail", ("flag_in",),
     only({"bpkad", "banten", "inspektorat", "admin"}, hidden={"dinsos", "kalsel"}),
     {"form": "putus", "putus-to_state": "review", "putus-text": "uji", "putus-version": "1"}),
    ("programs:ceiling-detail", ("ceiling_in",), only(BANTEN | {"admin"}, hidden={"kalsel"}), None),
    ("programs:ceiling-detail", ("ceiling_out",), only({"kalsel", "admin"}, hidden=BANTEN), None),
    ("programs:ceiling-create", (), only({"bpkad"}), {"fiscal_year": "2031", "amount": "1"}),
    ("programs:ceiling-edit", ("ceiling_in",), only({"bpkad"}, hidden={"kalsel"}), {"amount": "1", "version": "1"}),
    ("programs:ceiling-edit", ("ceiling_out",), only((), hidden=BANTEN), {"amount": "1", "version": "1"}),
    ("programs:allocation-detail", ("alloc_in",), only(BANTEN | {"admin"}, hidden={"kalsel"}), None),
    ("programs:allocation-detail", ("alloc_out",), only({"kalsel", "admin"}, hidden=BANTEN), None),
    ("programs:allocation-create", (), only({"bpkad"}), {"amount": "1"}),
    ("programs:allocation-revise", ("alloc_in",), only({"bpkad"}, hidden={"kalsel"}),
     {"new_amount": "1", "reason": "uji", "version": "1"}),
    ("programs:realization-create", ("alloc_in",), only({"banten"}, hidden={"kalsel"}),
     {"date": "2020-06-01", "amount": "1", "description": "uji"}),
    ("programs:realization-create", ("alloc_uep",), only({"dinsos"}, hidden={"kalsel"}),
     {"date": "2021-06-01", "amount": "1", "description": "uji"}),
    ("programs:realization-create", ("alloc_out",), only({"kalsel"}, hidden=BANTEN),
     {"date": "2020-06-01", "amount": "1", "description": "uji"}),
    ("programs:realization-reverse", ("realization_in",), only({"banten"}, hidden={"kalsel"}), {"reason": "uji"}),
    ("programs:program-create", (), only({"banten", "dinsos", "kalsel"}), {"name": "uji"}),
    ("programs:program-edit", ("program_in",), only({"banten"}, hidden={"kalsel"}), {"name": "uji"}),
    ("programs:program-edit", ("program_uep",), only({"dinsos"}, hidden={"kalsel"}), {"name": "uji"}),
    ("recipients:group-list", (), everyone(200), None),
    ("recipients:group-create", (), only({"serang", "dinsos-serang", "lebak"}), {"name": ""}),
    ("recipients:group-detail", ("returned_group",), only(STAFF, hidden=IKM_SERANG_HIDDEN), None),
    ("recipients:group-detail", ("kpm_group",), only(STAFF, hidden=("serang", "lebak", "kalsel")), None),
    ("recipients:group-detail", ("kalsel_group",), only({"kalsel", "admin"}, hidden=BANTEN), None),
    # Before approval the district office corrects the group; after, only the program's OPD.
    ("recipients:group-edit", ("returned_group",), only({"serang"}, hidden=IKM_SERANG_HIDDEN), {"name": ""}),
    ("recipients:group-edit", ("delivered_group",), only({"banten"}, hidden=IKM_SERANG_HIDDEN), {"name": ""}),
    ("recipients:group-edit", ("kpm_group",), only({"dinsos"}, hidden=("serang", "lebak", "kalsel")), {"name": ""}),
    ("recipients:queue", (), only({"banten", "dinsos", "kalsel", "serang", "dinsos-serang", "lebak"}), None),
    ("recipients:application-list", (), everyone(200), None),
    ("recipients:application-detail", ("returned_app",), only(STAFF, hidden=IKM_SERANG_HIDDEN), None),
    ("recipients:application-detail", ("kpm_app",), only(STAFF, hidden=("serang", "lebak", "kalsel")), None),
    ("recipients:duplicate-list", (), everyone(200), None),
    ("recipients:import-upload", (), only({"serang", "dinsos-serang", "lebak"}), {}),
    ("recipients:field-app", (), only({"serang", "dinsos-serang", "lebak"}), None),
    ("accounts:user-list", (), only({"bpkad", "admin"}), None),
    ("accounts:user-invite", (), only({"bpkad", "admin"}), {"username": ""}),
    ("accounts:user-detail", ("serang_user",), only({"bpkad", "admin"}), {"username": ""}),
    ("accounts:user-detail", ("kalsel_user",), only({"admin"}, hidden={"bpkad"}), {"username": ""}),
    ("accounts:my-account", (), everyone(200), {"new_email": "", "password": ""}),
    ("recipients:access-log", (), only({"admin"}), None),
    ("recipients:data-request", (), only({"admin"}), None),
    ("recipients:group-export", ("csv",), only(STAFF), None),
]

# Verification moves: (application, move, POST extra, the one login whose move is taken).
MOVES = [
    ("proposed_app", State.DOC_CHECKED, {}, "serang"),
    ("field_checked_app", State.APPROVED, {"sk_number": "SK-UJI/1"}, "banten"),
    ("kpm_app", State.DELIVERED, {}, None),  # approved KPM: delivery needs a handover, so a form error
]


def _count():
    return (BudgetCeiling.objects.count(), Allocation.objects.count(), Realization.objects.count(),
            Program.objects.count(), RecipientGroup.objects.count(), VerificationStep.objects.count(),
            User.objects.count(), list(User.objects.order_by("pk").values_list("role", "is_active", "regency_id")),
            list(Flag.objects.order_by("pk").values_list("state", "version")), FlagEvent.objects.count())


@pytest.fixture
def demo(regions):
    load_budgets()
    load_users()
    load_recipients()
    flags.compute()
    return _objects()


@pytest.mark.parametrize("login", [None, *LOGINS])
def test_every_staff_url_for_every_login(client, demo, login):
    """Each URL's status for each login, and no response carrying a full NIK its viewer may not
    see (every NIK in the database is looked for in every body, POST answers included)."""
    user = User.objects.get(username=login) if login else None
    if login:
        client.force_login(user)
    forbidden = _forbidden_niks(user)
    assert forbidden or login in ("serang", "dinsos-serang", "lebak") or not RecipientGroup.objects.exists()
    for name, args, table, post in ROWS:
        url = reverse(name, args=[demo[a] for a in args])
        expected = expected_status(login, name, table)
        response = client.get(url)
        assert response.status_code == expected, (login, name, args, response.status_code)
        assert _leaked(response, forbidden) == [], (login, name, args)
        if post is None:
            continue
        before = _count()
        savepoint = transaction.savepoint()
        response = client.post(url, post)
        assert _leaked(response, forbidden) == [], (login, "POST", name, args)
        refused = expected != 200
        assert response.status_code == (expected if refused else response.status_code), (login, "POST", name, args)
        assert response.status_code < 500
        if refused:
            assert _count() == before, (login, "POST", name, args)
        transaction.savepoint_rollback(savepoint)


@pytest.mark.parametrize("login", LOGINS)
def test_every_verification_move_only_by_its_office(client, demo, login):
    client.force_login(User.objects.get(username=login))
    for app, move, extra, allowed in MOVES:
        application = Application.objects.get(pk=demo[app])
        before = (application.state, VerificationStep.objects.filter(application=application).count())
        savepoint = transaction.savepoint()
        response = client.post(reverse("recipients:application-advance", args=[application.pk]), {
            "move": move, f"{move}-to_state": move, f"{move}-expected_state": application.state,
            **{f"{move}-{k}": v for k, v in extra.items()}})
        assert response.status_code < 500, (login, app)
        application.refresh_from_db()
        after = (application.state, VerificationStep.objects.filter(application=application).count())
        if login == allowed:
            assert response.status_code == 302 and after[0] == move, (login, app)
        else:
            assert after == before, (login, app, response.status_code)
        transaction.savepoint_rollback(savepoint)


def test_the_nik_scan_sees_a_full_nik_where_one_is_shown(client, demo):
    """Positive control of the scan above: the district office's own group page shows full NIKs,
    each of which the province's officer may not see, and the scan names them."""
    client.force_login(User.objects.get(username="serang"))
    response = client.get(reverse("recipients:group-detail", args=[demo["returned_group"]]))
    group = RecipientGroup.objects.get(pk=demo["returned_group"])
    leaked = _leaked(response, _forbidden_niks(User.objects.get(username="banten")))
    assert group.leader_nik in leaked and len(leaked) == group.members.count() + (
        0 if group.members.filter(nik=group.leader_nik).exists() else 1)


def test_each_policy_function_and_the_urls_that_ask_it(client, demo):
    """Every "may this user …" question lives in an app's policy module; this lists, from the
    calls made while every login opens every staff URL above, which URLs ask which question —
    and fails if a policy function is asked by no page (dead, or its question re-derived
    elsewhere). The table is printed (-s) for the reader."""
    import inspect
    import sys

    from accounts import policy as accounts_policy
    from programs import policy as programs_policy
    from reports import policy as reports_policy

    modules = {m.__name__: m for m in (accounts_policy, programs_policy, policy, reports_policy)}
    functions = {f"{name}.{f}" for name, m in modules.items() for f, obj in inspect.getmembers(m, inspect.isfunction)
                 if obj.__module__ == name and not f.startswith("_")}
    asked: dict[str, set[str]] = {}
    current = {"url": None}

    def profile(frame, event, arg):
        if event == "call" and frame.f_globals.get("__name__") in modules:
            asked.setdefault(f"{frame.f_globals['__name__']}.{frame.f_code.co_name}", set()).add(current["url"])

    logins = [User.objects.get(username=login) for login in LOGINS]
    sys.setprofile(profile)
    try:
        for user in logins:
            client.force_login(user)
            # The staff URLs above, and the province page (a staff member may refresh its figures).
            for name, args, _table, _post in [*ROWS, ("reports:province-detail", ("36",), None, None)]:
                current["url"] = name
                response = client.get(reverse(name, args=[demo.get(a, a) for a in args]))
                if response.streaming:  # a streamed export asks as it writes its rows
                    b"".join(response.streaming_content)
    finally:
        sys.setprofile(None)
    for function in sorted(functions):
        print(f"{function}: {', '.join(sorted(asked.get(function, ())))}")
    assert sorted(functions - set(asked)) == []
