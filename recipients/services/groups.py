"""Writes to recipient groups and their members: registration, correction (with history),
publication of the name; and the checks of a NIK, NIB and phone number every form and import
uses. Scope is checked again in every service (the views check it too)."""


import re
from dataclasses import dataclass, field

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from lokal.nik import parse_nik

from core.exceptions import StaleEdit
from core.models import Region
from ledger import entries as ledger
from recipients.models import (
    Member,
    RecipientGroup,
    Sector,
)
from recipients.policy import may_act_on, may_edit_group, may_withhold_name
from recipients.workflow import DISTRICT

_SPACES = re.compile(r"\s+")


def normalize_name(name: str) -> str:
    return _SPACES.sub(" ", name).strip().lower()


def nik_problem(nik: str) -> str | None:
    """Why a NIK cannot be one (lokal-id's structural check), or None."""
    info = parse_nik(nik)
    return None if info.valid else "; ".join(issue.message for issue in info.errors)


NIB = re.compile(r"[0-9]{13}")  # ASCII digits, as the database's check allows
PHONE = re.compile(r"\+?[0-9][0-9 ()\-]*")


def nib_problem(nib: str) -> str | None:
    return None if NIB.fullmatch(nib) else _("NIB terdiri dari 13 digit angka.")


def phone_problem(phone: str) -> str | None:
    return None if PHONE.fullmatch(phone) else _("Nomor telepon hanya berisi angka 0–9, spasi, +, - dan tanda kurung.")


def _ensure_group_scope(actor, group: RecipientGroup, *, roles=(DISTRICT,)) -> str:
    """The actor's role, if it may act on this group; PermissionDenied otherwise."""
    role = may_act_on(actor, group, roles)
    if role is None:
        raise PermissionDenied(_("Kelompok ini berada di luar wilayah tugas Anda."))
    return role


# --- Groups and members ------------------------------------------------------------------------


@dataclass
class MemberData:
    name: str
    nik: str
    role: str = Member.Role.MEMBER


@dataclass
class GroupData:
    name: str
    regency_id: int
    sector: str
    leader_name: str
    leader_nik: str = ""
    kecamatan: str = ""
    desa: str = ""
    contact_phone: str = ""
    nib: str = ""
    kind: str = RecipientGroup.Kind.IKM
    members: list[MemberData] = field(default_factory=list)
    members_count: int | None = None


def _validate_group(data: GroupData) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.name.strip():
        errors.setdefault("name", []).append(_("Nama kelompok wajib diisi."))
    if not data.leader_name.strip():
        errors.setdefault("leader_name", []).append(_("Nama ketua wajib diisi."))
    if data.sector not in Sector.values:
        errors.setdefault("sector", []).append(_("Sektor tidak dikenal."))
    if data.leader_nik and (problem := nik_problem(data.leader_nik)):
        errors.setdefault("leader_nik", []).append(problem)
    if data.nib and (problem := nib_problem(data.nib)):
        errors.setdefault("nib", []).append(problem)
    seen = set()
    for member in data.members:
        if problem := nik_problem(member.nik):
            errors.setdefault("members", []).append(f"{member.name}: {problem}")
        if member.nik in seen:
            errors.setdefault("members", []).append(_("NIK %(nik)s tercantum dua kali.") % {"nik": member.nik})
        seen.add(member.nik)
    return errors


def group_create(*, data: GroupData, actor=None, import_batch=None) -> RecipientGroup:
    """Register a group (and its members) in the actor's regency. Cost: 3-4 queries."""
    with transaction.atomic():
        regency = Region.objects.regencies().select_related("parent").get(pk=data.regency_id)
        group = RecipientGroup(
            name=data.name.strip(), normalized_name=normalize_name(data.name), kind=data.kind, regency=regency,
            kecamatan=data.kecamatan.strip(), desa=data.desa.strip(), sector=data.sector,
            leader_name=data.leader_name.strip(), leader_nik=data.leader_nik.strip(),
            contact_phone=data.contact_phone.strip(), nib=data.nib.strip(),
            members_count=data.members_count if data.members_count is not None else len(data.members),
            created_by=actor, import_batch=import_batch,
        )
        _ensure_group_scope(actor, group)
        errors = _validate_group(data)
        if errors:
            raise ValidationError(errors)
        if RecipientGroup.objects.filter(regency=regency, normalized_name=group.normalized_name).exists():
            raise ValidationError({"name": _("Kelompok dengan nama ini sudah terdaftar di %(regency)s.")
                                   % {"regency": regency}})
        try:
            with transaction.atomic():
                group.save()
        except IntegrityError:
            raise ValidationError({"name": _("Kelompok dengan nama ini baru saja didaftarkan orang lain.")}) from None
        Member.objects.bulk_create(
            [Member(group=group, name=m.name.strip(), nik=m.nik, role=m.role) for m in data.members]
        )
    return group


def group_update(*, group: RecipientGroup, data: GroupData, actor, expected_version: int | None = None):
    """Correct a group and its members (a returned application is fixed here, then resubmitted).

    Members are matched by NIK: a new NIK is added, a missing one removed, a changed name or role
    updated. Every change is in the history (group fields and member rows, django-pghistory,
    with who did it). Locks the group; a form opened before another edit is ``StaleEdit``.
    """
    with transaction.atomic():
        group = RecipientGroup.objects.select_for_update(of=("self",)).select_related("regency__parent").get(
            pk=group.pk)
        if not may_edit_group(actor, group):
            raise PermissionDenied(_("Kelompok ini tidak dapat Anda ubah: sudah disetujui, atau di luar wilayah "
                                     "tugas Anda."))
        if expected_version is not None and group.version != expected_version:
            raise StaleEdit(_("Kelompok ini sudah diubah orang lain sejak formulir dibuka. Isian Anda masih ada di "
                              "bawah; periksa data terbaru lalu simpan lagi."), code="stale")
        errors = _validate_group(data)
        name = normalize_name(data.name)
        if name != group.normalized_name and RecipientGroup.objects.filter(
                regency_id=group.regency_id, normalized_name=name).exists():
            errors.setdefault("name", []).append(_("Kelompok dengan nama ini sudah terdaftar di %(regency)s.")
                                                 % {"regency": group.regency})
        if errors:
            raise ValidationError(errors)
        for attr in ("kecamatan", "desa", "leader_name", "leader_nik", "contact_phone", "nib"):
            setattr(group, attr, getattr(data, attr).strip())
        group.name, group.normalized_name, group.sector = data.name.strip(), name, data.sector
        existing = {m.nik: m for m in group.members.all()}
        wanted = {m.nik: m for m in data.members}
        with pghistory.context(user=actor.pk if actor else None):
            Member.objects.filter(group=group, nik__in=set(existing) - set(wanted)).delete()
            for nik, m in wanted.items():
                old = existing.get(nik)
                if old is None:
                    Member.objects.create(group=group, name=m.name.strip(), nik=nik, role=m.role)
                elif (old.name, old.role) != (m.name.strip(), m.role):
                    old.name, old.role = m.name.strip(), m.role
                    old.save(update_fields=["name", "role"])
            if data.members_count is not None:
                group.members_count = data.members_count
            elif wanted or existing:
                group.members_count = len(wanted)
            group.version += 1
            group.save()
    return group


@transaction.atomic
def group_withhold_name(*, group: RecipientGroup, reason: str, actor) -> RecipientGroup:
    """Withhold (a reason) or publish again (an empty reason) a group's name on the public list
    of aided groups. In the group's history with who and why."""
    if not may_withhold_name(actor, group):
        raise PermissionDenied(_("Hanya provinsi kelompok ini yang memutuskan publikasi namanya."))
    reason = (reason or "").strip()[:300]
    with transaction.atomic(), pghistory.context(user=actor.pk, reason=reason):
        RecipientGroup.objects.filter(pk=group.pk).update(name_withheld_reason=reason)
        group.name_withheld_reason = reason
        # The fact and the reason (or that the name is published again); the name itself only when
        # it is published (RecipientGroup.public_name).
        ledger.record(ledger.NAME_WITHHELD, group, actor)
    return group
