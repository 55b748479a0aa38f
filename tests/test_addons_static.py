"""Static checks of the KF addons that need no Odoo: they run everywhere.

They catch the mistakes that otherwise only show when Odoo loads the addon:
Odoo 17/19 syntax in 18 views, a model without access rights, a file the
manifest names but nobody wrote, an incomplete Chinese translation, a layering
violation between the addons.
"""

import ast
import csv
import pathlib
import re
import xml.etree.ElementTree as ET

import polib
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ADDONS = ["kf_customer_service", "kf_dispatch", "kf_kpi", "kf_spare_parts", "kf_performance_pay"]
PRESENT = [a for a in ADDONS if (ROOT / a / "__manifest__.py").exists()]
# Which addon may depend on which (kf_customer_service knows nothing of the others).
ALLOWED_KF_DEPENDS = {
    "kf_customer_service": set(),
    "kf_dispatch": {"kf_customer_service"},
    "kf_kpi": {"kf_customer_service", "kf_dispatch"},
    "kf_spare_parts": {"kf_customer_service", "kf_dispatch"},
    "kf_performance_pay": {"kf_customer_service", "kf_dispatch", "kf_kpi"},
}


def manifest(addon):
    return ast.literal_eval((ROOT / addon / "__manifest__.py").read_text(encoding="utf-8"))


def xml_files(addon):
    return sorted((ROOT / addon).rglob("*.xml"))


def py_models(addon):
    """Model names an addon declares with _name (not mere _inherit), abstract
    models (mixins, which have no table and no access rights) excepted."""
    names = set()
    for path in (ROOT / addon).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and not any(
                getattr(base, "attr", None) == "AbstractModel" for base in node.bases
            ):
                for stmt in node.body:
                    if (
                        isinstance(stmt, ast.Assign)
                        and any(getattr(t, "id", None) == "_name" for t in stmt.targets)
                        and isinstance(stmt.value, ast.Constant)
                    ):
                        names.add(stmt.value.value)
    return names


def test_all_addons_exist():
    assert PRESENT == ADDONS


@pytest.mark.parametrize("addon", PRESENT)
def test_manifest(addon):
    m = manifest(addon)
    assert m["version"].startswith("18.0."), m["version"]
    assert m["license"] in ("LGPL-3", "AGPL-3")
    kf_deps = {d for d in m["depends"] if d.startswith("kf_")}
    assert kf_deps <= ALLOWED_KF_DEPENDS[addon], f"{addon} must not depend on {kf_deps}"
    for rel in m.get("data", []) + m.get("demo", []):
        assert (ROOT / addon / rel).exists(), f"{addon}: manifest names missing {rel}"
    # groups, rules and access rights load before the data and views that use them
    is_security = [rel.startswith("security/") for rel in m.get("data", [])]
    assert is_security == sorted(is_security, reverse=True), f"{addon}: security files must come first in data"
    assert (ROOT / addon / "static" / "description" / "icon.png").exists()


@pytest.mark.parametrize("addon", PRESENT)
def test_python_compiles(addon):
    for path in (ROOT / addon).rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


@pytest.mark.parametrize("addon", PRESENT)
def test_views_use_odoo18_syntax(addon):
    for path in xml_files(addon):
        text = path.read_text(encoding="utf-8")
        ET.fromstring(text.encode())  # well-formed
        rel = path.relative_to(ROOT)
        assert not re.search(r"<tree[\s>]", text), f"{rel}: <tree> is <list> in 18.0"
        assert not re.search(r"\sattrs=\"", text), f"{rel}: attrs= is gone since 17.0"
        assert not re.search(r"<field[^>]*\sstates=\"", text), f"{rel}: states= is gone"
        assert not re.search(r"view_mode\">[^<]*tree", text), f"{rel}: view_mode uses list"
        assert "numbercall" not in text and "doall" not in text, f"{rel}: 17.0 cron fields"
        assert "kanban-box" not in text, f'{rel}: kanban template is t-name="card"'


@pytest.mark.parametrize("addon", PRESENT)
def test_every_model_has_access_rights(addon):
    csv_path = ROOT / addon / "security" / "ir.model.access.csv"
    models = py_models(addon)
    if not models:
        return
    with csv_path.open(encoding="utf-8") as fh:
        covered = {row["model_id:id"].split(".")[-1] for row in csv.DictReader(fh)}
    missing = {m for m in models if "model_" + m.replace(".", "_") not in covered}
    assert not missing, f"{addon}: no access rights for {sorted(missing)}"


@pytest.mark.parametrize("addon", PRESENT)
def test_chinese_translation_is_complete(addon):
    po_path = ROOT / addon / "i18n" / "zh_CN.po"
    assert po_path.exists(), f"{addon} ships no i18n/zh_CN.po"
    po = polib.pofile(str(po_path))
    assert len(po) > 20, f"{addon}: zh_CN.po holds only {len(po)} entries"
    untranslated = [e.msgid for e in po if not e.msgstr and not e.obsolete]
    assert not untranslated, f"{addon}: {len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
    assert not fuzzy, f"{addon}: fuzzy entries {fuzzy[:5]}"


@pytest.mark.parametrize("addon", PRESENT)
def test_every_exported_term_is_translated(addon):
    """The addon's .pot (Odoo's export of its terms) is covered by zh_CN.po:
    Odoo merges the .pot when it loads a language, so a term missing from
    either file shows in English."""
    pot_path = ROOT / addon / "i18n" / f"{addon}.pot"
    po_path = ROOT / addon / "i18n" / "zh_CN.po"
    if not pot_path.exists() or not po_path.exists():
        pytest.skip("no .pot or zh_CN.po (reported by the completeness test)")
    translated = {(e.msgctxt, e.msgid) for e in polib.pofile(str(po_path)) if e.msgstr}
    missing = [e.msgid for e in polib.pofile(str(pot_path)) if (e.msgctxt, e.msgid) not in translated]
    assert not missing, f"{addon}: {len(missing)} terms of the .pot not translated, e.g. {missing[:5]}"


@pytest.mark.parametrize("addon", PRESENT)
def test_translated_placeholders_match(addon):
    po_path = ROOT / addon / "i18n" / "zh_CN.po"
    if not po_path.exists():
        pytest.skip("no zh_CN.po yet (reported by the completeness test)")
    placeholder = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}")
    for entry in polib.pofile(str(po_path)):
        if entry.msgstr:
            assert sorted(placeholder.findall(entry.msgid)) == sorted(placeholder.findall(entry.msgstr)), (
                f"{addon}: placeholders differ in {entry.msgid!r}"
            )


@pytest.mark.parametrize("addon", PRESENT)
def test_no_print_or_commit_in_business_code(addon):
    for path in (ROOT / addon).rglob("*.py"):
        if "tests" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT)
        assert not re.search(r"^\s*print\(", text, re.M), f"{rel}: print() in business code"
        assert ".commit()" not in text, f"{rel}: cr.commit() in business code"
