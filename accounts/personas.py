"""The demo logins, as plain data: ``accounts.demo`` creates them, the launcher prints them
at start-up (without Django loaded), the README lists them. Password for all: ``ikmrelief-demo``."""

from __future__ import annotations

from typing import NamedTuple


class Persona(NamedTuple):
    username: str
    first_name: str
    last_name: str
    role: str  # accounts.models.User.Role value
    province: str | None  # Kemendagri code
    regency: str | None
    agency: str | None  # Agency.short_name
    district_office: str  # "", "ikm" or "kpm"
    does: str  # what this login is for, as the start-up banner says it

    @property
    def email(self) -> str:
        """A reserved domain (RFC 2606): demo mail never reaches a real inbox."""
        return f"{self.username}@ikmrelief.example"


PERSONAS = [
    Persona("bpkad", "Wulan", "BPKAD Banten", "coordinator", "36", None, "BPKAD Banten", "",
            "Koordinator anggaran Banten (BPKAD): pagu, alokasi ke OPD, pengguna provinsi"),
    Persona("banten", "Rina", "Pejabat Disperindag Banten", "province", "36", None, "Disperindag Banten", "",
            "Pejabat OPD · Disperindag Banten: program, realisasi, persetujuan IKM"),
    Persona("dinsos", "Budi", "Dinsos Banten", "province", "36", None, "Dinsos Banten", "",
            "Pejabat OPD · Dinsos Banten: program UEP, persetujuan KPM"),
    Persona("kalsel", "Mahyuni", "Dinas Perindustrian Kalsel", "province", "63", None, "Disperin Kalsel", "",
            "Pejabat OPD · Disperin Kalimantan Selatan"),
    Persona("serang", "Sari", "Disperindag Kab. Serang", "district", "36", "36.04", None, "ikm",
            "Petugas Disperindag Kab. Serang: verifikasi kelompok IKM"),
    Persona("dinsos-serang", "Yusuf", "Dinsos Kab. Serang", "district", "36", "36.04", None, "kpm",
            "Petugas Dinsos Kab. Serang: verifikasi KPM"),
    Persona("lebak", "Asep", "Disperindag Kab. Lebak", "district", "36", "36.02", None, "ikm",
            "Petugas Disperindag Kab. Lebak: verifikasi kelompok IKM"),
    Persona("dpo-banten", "Dewi", "Pejabat Pelindungan Data Banten", "dpo", "36", None, None, "",
            "Pejabat pelindungan data Banten: siapa melihat NIK siapa (UU PDP)"),
    Persona("inspektorat", "Hendra", "Inspektorat Banten", "auditor", "36", None, None, "",
            "Auditor Inspektorat Banten: membaca semua data Banten, memutuskan temuan (red flag)"),
    Persona("admin", "Admin", "Ditjen IKMA Kemenperin", "national", None, None, "Ditjen IKMA", "",
            "Admin nasional · Kemenperin: semua provinsi (baca), koordinator"),
]
