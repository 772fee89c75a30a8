"""The extract format: its three tables, their columns (French and Arabic headers) and the
stable reason codes of a rejected row, with the French message a data clerk reads."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """One column of an extract file: its name, the headers accepted for it, and whether a
    row must give it."""

    name: str
    required: bool = True
    arabic: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExtractTable:
    """One kind of extract file (``etablissements``, ``eleves``, ``examens``)."""

    name: str
    fields: tuple[Field, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


SCHOOLS = ExtractTable("etablissements", (
    Field("code_gresa", arabic=("رمز المؤسسة",)),
    Field("nom"),
    Field("nom_ar", required=False, arabic=("اسم المؤسسة",)),
    Field("commune", arabic=("الجماعة",)),
    Field("cycle", arabic=("السلك",)),
    Field("secteur", arabic=("القطاع",)),
    Field("milieu", arabic=("الوسط",)),
    Field("latitude"),
    Field("longitude"),
))
PUPILS = ExtractTable("eleves", (
    Field("annee_scolaire", arabic=("السنة الدراسية",)),
    Field("code_massar", arabic=("رقم مسار", "رقم التلميذ")),
    Field("sexe", arabic=("النوع", "الجنس")),
    Field("date_naissance", arabic=("تاريخ الازدياد",)),
    Field("code_gresa", arabic=("رمز المؤسسة",)),
    Field("niveau", arabic=("المستوى",)),
    Field("resultat", required=False, arabic=("النتيجة",)),
    Field("moyenne", required=False, arabic=("المعدل السنوي",)),
))
EXAMS = ExtractTable("examens", (
    Field("annee_scolaire", arabic=("السنة الدراسية",)),
    Field("code_massar", arabic=("رقم مسار", "رقم التلميذ")),
    Field("examen", arabic=("الامتحان",)),
    Field("note", arabic=("النقطة",)),
    Field("admis", arabic=("ناجح",)),
))
TABLES = (SCHOOLS, PUPILS, EXAMS)

#: Stable reason codes of a rejected row (the API and exports use them), with the message
#: a data clerk reads; ``{column}`` names the column at fault.
REASONS: dict[str, str] = {
    "unreadable": "Ligne illisible : nombre de champs incorrect ou caractères mal encodés.",
    "missing_value": "Valeur obligatoire absente dans la colonne « {column} ».",
    "bad_massar_code": "Code MASSAR invalide : une lettre suivie de 9 chiffres est attendue.",
    "bad_sex": "Sexe non reconnu : F ou M (Féminin, Masculin, أنثى, ذكر) est attendu.",
    "bad_date": "Date de naissance invalide : AAAA-MM-JJ ou JJ/MM/AAAA est attendu.",
    "implausible_age": "Âge invraisemblable : moins de 4 ans ou plus de 30 ans au 1er "
                       "septembre de l'année scolaire.",
    "unknown_school": "Établissement inconnu : aucun établissement ne porte ce code GRESA.",
    "unknown_commune": "Commune inconnue : ce code de commune n'existe pas.",
    "bad_value": "Valeur hors de la liste admise dans la colonne « {column} ».",
    "grade_not_in_cycle": "Niveau non enseigné dans le cycle de cet établissement.",
    "bad_score": "Note hors de l'intervalle 0 à 20 dans la colonne « {column} ».",
    "bad_year": "Année scolaire invalide, ou différente de celle du reste du fichier.",
    "duplicate": "Doublon : le même élève apparaît plusieurs fois pour cette année "
                 "(toutes les copies sont rejetées).",
    "conflicting_identity": "Identité contradictoire : ce code MASSAR est déjà connu avec "
                            "un autre sexe ou une autre date de naissance.",
    "exam_without_enrollment": "Examen sans inscription : l'élève n'est pas inscrit cette "
                               "année-là.",
    "exam_grade_mismatch": "Examen incompatible avec le niveau : CEP en 6AEP, examen "
                           "régional en 3AC, BAC en 2BAC.",
    "bad_coordinates": "Coordonnées hors du territoire marocain ou illisibles.",
}


def header_key(text: str) -> str:
    """Return what a header is matched by: no case, accents, spaces, underscores or
    hyphens (``Année_Scolaire`` and ``annee scolaire`` are one header)."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lstrip("\ufeff"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", "", plain).casefold()


#: Each accepted header's key, per table: the column it names.
HEADERS: dict[str, dict[str, str]] = {
    table.name: {header_key(h): f.name for f in table.fields for h in (f.name, *f.arabic)}
    for table in TABLES
}


def identify(headers: list[str]) -> tuple[ExtractTable, list[str | None]] | None:
    """Return the table whose required columns a header row names, and the column each
    header is (None for a column of no use); None when the header fits no table."""
    keys = [header_key(h) for h in headers]
    for table in sorted(TABLES, key=lambda t: -len(t.fields)):
        names = [HEADERS[table.name].get(key) for key in keys]
        needed = {f.name for f in table.fields if f.required}
        if needed <= set(names) and len([n for n in names if n]) == len({n for n in names if n}):
            return table, names
    return None
