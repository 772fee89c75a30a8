"""French and Arabic: the language is in the address, remembered per user, and every
text the interface shows has its Arabic translation."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from callbacks import navigation
from callbacks.panels import DRAW
from dashboard import i18n
from dashboard.formatting import format_change, format_count, format_rate
from dashboard.indicators import BY_CODE
from tests.conftest import PASSWORD, client_as, request_as
from tests.test_callbacks import call, view

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "dashboard/translations/ar/LC_MESSAGES/messages.po"
TEMPLATE = ROOT / "dashboard/translations/messages.pot"
PLACEHOLDER = re.compile(r"\{\w+\}")


def _messages(path: Path) -> dict[str, str]:
    with path.open("rb") as file:
        return {m.id: m.string for m in read_po(file) if m.id}


def test_every_message_has_its_arabic_translation_with_the_same_placeholders():
    arabic = _messages(CATALOGUE)
    missing = [text for text, translated in arabic.items() if not translated]
    assert missing == []
    moved = [text for text, translated in arabic.items()
             if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(translated))]
    assert moved == []


def test_the_catalogue_holds_every_text_of_the_code(tmp_path):
    """Extracting again finds nothing the Arabic catalogue lacks (``make messages``)."""
    fresh = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    "babel.cfg", "-k", "N_", "--no-wrap", "--omit-header", "-o", str(fresh),
                    "."], cwd=ROOT, check=True, capture_output=True,
                   env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    unknown = set(_messages(fresh)) - set(_messages(CATALOGUE))
    assert unknown == set()


def test_numbers_follow_moroccan_usage_in_each_language(tiny_app):
    rate = BY_CODE["dropout_rate"]
    with request_as(tiny_app):
        assert (format_count(12345), format_rate(0.047)) == ("12\u202f345", "4,7\u00a0%")
    with request_as(tiny_app, path="/?lang=ar"):
        assert (format_count(12345), format_rate(0.047)) == ("12.345", "4,7%")
        assert format_change(rate, -0.028).endswith("2,8\u00a0نقطة")


def test_the_address_names_the_language_and_the_page_is_right_to_left(tiny_app):
    client = client_as(tiny_app)
    page = client.get("/province/141?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page and "bootstrap.rtl.min.css" in page
    french = client.get("/province/141").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in french and "bootstrap.rtl.min.css" not in french


def test_a_page_s_own_requests_follow_its_language(tiny_app):
    client = client_as(tiny_app)
    layout = client.get("/_dash-layout", headers={"Referer": "http://localhost/?lang=ar"})
    assert "لوحة القيادة" in json.dumps(layout.get_json(), ensure_ascii=False)
    french = client.get("/_dash-layout", headers={"Referer": "http://localhost/"})
    assert "Tableau de bord" in json.dumps(french.get_json(), ensure_ascii=False)


def test_the_switch_reopens_the_page_and_is_remembered_at_the_next_login(tiny_app):
    client = client_as(tiny_app, "region6")
    answer = client.get("/language/ar",
                        headers={"Referer": "http://localhost/region/6?year=2024&sex=F"})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/region/6?year=2024&sex=F&lang=ar")
    again = tiny_app.server.test_client()
    login = again.post("/login", data={"username": "region6", "password": PASSWORD})
    assert login.headers["Location"].endswith("lang=ar")
    back = client.get("/language/fr", headers={"Referer": "http://localhost/region/6?lang=ar"})
    assert back.headers["Location"].endswith("/region/6")
    assert client.get("/language/xx").status_code == 404


def test_the_login_page_follows_the_language_of_the_page_asked_for(tiny_app):
    anonymous = tiny_app.server.test_client()
    asked = anonymous.get("/province/141?lang=ar")
    login = anonymous.get(asked.headers["Location"]).get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in login and "تسجيل الدخول" in login


def test_links_keep_the_language(tiny_app):
    with request_as(tiny_app, path="/?lang=ar"):
        dashboard, definitions = call(navigation.keep_filters_in_links, view(),
                                      {"level": "province", "code": "141"})
    assert dashboard.endswith("lang=ar") and definitions.endswith("lang=ar")


PAGES = ("/", "/region/6", "/province/141", "/commune/141.1.1", "/school/10001F", "/quality",
         "/quality/province/141", "/definitions", "/imports", "/nowhere")


def test_no_text_shown_in_arabic_lacks_its_translation(tiny_app):
    """Every page type and every panel drawn in Arabic asks only for translated texts."""
    i18n.UNTRANSLATED.clear()
    with request_as(tiny_app, path="/?lang=ar"):
        tiny_app.layout()
        for path in PAGES:
            call(navigation.render_page, path)
        for level, code in (("national", "MA"), ("province", "141"), ("commune", "141.1.1"),
                            ("school", "10001F")):
            for draw in DRAW.values():
                with contextlib.suppress(Exception):  # a panel not shown on this level
                    call(draw, view(level, code), {"level": level, "code": code})
    assert sorted(text for _language, text in i18n.UNTRANSLATED) == []


@pytest.mark.parametrize("text", ["Tableau de bord", "Connexion"])
def test_french_stays_the_source(tiny_app, text):
    with request_as(tiny_app):
        assert i18n._(text) == text
