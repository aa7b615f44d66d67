"""The modules a request passes through, traced (issue 23): for the province page and for a
district officer advancing an application, which product modules are called, which call which,
and how often two modules call each other both ways ("back-and-forth") or a lower layer calls a
higher one. Printed with ``-s``; the one-way layers are pinned: no call goes up a layer, and no
two modules of different apps call each other both ways but through a callback (a lower
layer calling what a higher one handed it: a view, a hook named in settings).

Layers, top to bottom (pyproject.toml): ikmrelief > reports > recipients > accounts > programs > core.
Signal receivers and registries run code of a higher layer on purpose (a lower layer announces,
a higher one reacts): those calls come from Django's dispatcher, not from the lower module.
"""

from __future__ import annotations

import re
import sys
import types

import pytest
from django.urls import reverse

from accounts.models import User
from recipients.models import Application, State
from tests.core.test_permission_matrix import demo  # noqa: F401 (the fixture)

# The names "who may …" questions go by, in any module (before issue 23 they were spread over
# selectors, services, the workflow and the views; now each app's policy module holds them).
QUESTION = re.compile(r"^_?(may_|can_|acts_|role_of|reads_|registers_|decides_|runs_|sees_|grantable_|manages_)")

LAYERS = ("core", "ledger", "programs", "accounts", "recipients", "reports", "ikmrelief")


def _product_module(frame) -> str | None:
    name = frame.f_globals.get("__name__", "")
    top = name.split(".", 1)[0]
    if top in LAYERS and ".migrations." not in name:
        return name
    return None


def trace(request) -> dict:
    """Run ``request()`` under a profiler: the product modules called, the distinct calls from one
    module into another, the pairs of modules that call each other both ways, and the calls from
    a lower layer into a higher one (each with its caller → callee)."""
    edges: dict[tuple[str, str], int] = {}
    modules: list[str] = []
    questions: list[str] = []

    def profile(frame, event, arg):
        if event != "call":
            return
        callee = _product_module(frame)
        if callee is None:
            return
        if callee not in modules:
            modules.append(callee)
        if QUESTION.match(frame.f_code.co_name):
            questions.append(f"{callee}.{frame.f_code.co_name}")
        caller_frame = frame.f_back
        while caller_frame is not None:
            caller = _product_module(caller_frame)
            if caller is not None:
                break
            if caller_frame.f_globals.get("__name__", "").startswith("django.dispatch"):
                return  # a signal's receiver: the sender does not call it
            caller_frame = caller_frame.f_back
        else:
            return
        if caller != callee:
            edges[(caller, callee)] = edges.get((caller, callee), 0) + 1

    sys.setprofile(profile)
    try:
        request()
    finally:
        sys.setprofile(None)

    def layer(module):
        return LAYERS.index(module.split(".", 1)[0])

    both_ways = sorted({tuple(sorted(pair)) for pair in edges if (pair[1], pair[0]) in edges})
    going_up = sorted(pair for pair in edges if layer(pair[0]) < layer(pair[1]))
    return {
        "modules": modules,
        "questions": questions,
        "edges": edges,
        "both_ways": both_ways,
        "both_ways_across_apps": [p for p in both_ways if p[0].split(".")[0] != p[1].split(".")[0]],
        "upward": [pair for pair in going_up if _imports(*pair)],
        "called_back": [pair for pair in going_up if not _imports(*pair)],
    }


def _imports(caller: str, callee: str) -> bool:
    """Whether module ``caller`` holds module ``callee`` or something defined in it (it imported
    it): a direct call. Otherwise the callee was handed over — a view to the middleware around
    it, a function named in settings — and is called back, which one-way layers allow."""
    namespace = getattr(sys.modules.get(caller), "__dict__", {})
    return any(value is sys.modules.get(callee) or getattr(value, "__module__", None) == callee
               for value in namespace.values())


def _print(title: str, result: dict) -> None:
    print(f"\n== {title}: {len(result['modules'])} modules, {len(result['edges'])} module-to-module calls "
          f"({sum(result['edges'].values())} in all), {len(result['both_ways'])} pairs calling each other both ways "
          f"({len(result['both_ways_across_apps'])} across apps), {len(result['upward'])} calls up a layer "
          f"({len(result['called_back'])} more called back)")
    print("   path:", " → ".join(result["modules"]))
    asked_in = sorted({q.rsplit(".", 1)[0] for q in result["questions"]})
    print(f"   'who may' asked {len(result['questions'])} times in {len(asked_in)} modules: "
          + ", ".join(result["questions"]))
    for a, b in result["both_ways"]:
        print(f"   both ways: {a} ⇄ {b}")
    for a, b in result["upward"]:
        print(f"   up a layer: {a} → {b}")
    for a, b in result["called_back"]:
        print(f"   called back: {a} → {b}")


def _assert_one_way(result: dict) -> None:
    assert result["modules"], "the profiler saw no product module: the trace is broken"
    assert result["upward"] == []
    assert all(pair in result["called_back"] or pair[::-1] in result["called_back"]
               for pair in result["both_ways_across_apps"])
    assert [q for q in result["questions"] if ".policy." not in q] == []  # asked of a policy module only


@pytest.mark.django_db
def test_the_province_page_goes_one_way(client, demo):  # noqa: F811
    result = trace(lambda: client.get(reverse("reports:province-detail", args=["36"])))
    _print("/provinsi/36/ (anonymous)", result)
    assert any(m.startswith("reports.") for m in result["modules"])
    _assert_one_way(result)


@pytest.mark.django_db
def test_a_district_officer_advancing_an_application_goes_one_way(client, demo):  # noqa: F811
    client.force_login(User.objects.get(username="serang"))
    application = Application.objects.get(pk=demo["proposed_app"])

    def advance():
        response = client.post(reverse("recipients:application-advance", args=[application.pk]), {
            "move": State.DOC_CHECKED, f"{State.DOC_CHECKED}-to_state": State.DOC_CHECKED,
            f"{State.DOC_CHECKED}-expected_state": application.state})
        assert response.status_code == 302

    result = trace(advance)
    _print("district officer advances an application (POST)", result)
    application.refresh_from_db()
    assert application.state == State.DOC_CHECKED
    _assert_one_way(result)


def test_the_trace_sees_a_call_up_a_layer():
    """Positive control: a core function calling into reports is reported as going up."""
    from reports import policy

    def core_calls_reports():
        return policy.may_refresh_rollup(None)

    # Run the call from a module placed in core that imports reports.policy.
    fake = types.ModuleType("core.fake")
    fake.policy, fake.call = policy, core_calls_reports
    exec("def run():\n    return call()\n", fake.__dict__)  # noqa: S102
    sys.modules["core.fake"] = fake
    try:
        result = trace(fake.run)
    finally:
        del sys.modules["core.fake"]
    assert ("core.fake", "reports.policy") in result["upward"]
