"""Both languages everywhere: the catalogs hold the same keys, every key a template uses exists, and the
language follows the switcher's cookie, else Accept-Language."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from webpages import EN, ZH

from mailhub.web.i18n import accepted_language, catalog

TEMPLATES = Path(__file__).parents[2] / "src" / "mailhub" / "web" / "templates"


def test_both_catalogs_have_the_same_keys_and_no_blank_text() -> None:
    zh, en = catalog("zh"), catalog("en")
    assert set(zh) == set(en)
    assert all(text.strip() for text in [*zh.values(), *en.values()])
    for key in zh:  # the same {fields} on both sides
        assert set(re.findall(r"{(\w+)}", zh[key])) == set(re.findall(r"{(\w+)}", en[key])), key


def test_every_key_a_template_names_exists() -> None:
    zh = catalog("zh")
    used: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""(?<![\w.])t\('([\w.]+)'\s*[),]""", template.read_text("utf-8")))
    assert used, "no t('...') calls found"
    assert not sorted(key for key in used if key not in zh)
    dynamic_prefixes = {"lang.", "new.method_", "form.tls_", "new.steps_", "detail.notice_"}
    for prefix in dynamic_prefixes:  # keys built as t('prefix' ~ value)
        assert any(key.startswith(prefix) for key in zh), prefix


def test_accept_language_is_read_by_quality() -> None:
    assert accepted_language("en-US,en;q=0.9,zh-CN;q=0.8") == "en"
    assert accepted_language("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert accepted_language("fr-FR;q=1,zh-TW;q=0.5,en;q=0.4") == "zh"
    assert accepted_language("en;q=0,zh;q=0.1") == "zh"
    assert accepted_language("fr, de") is None
    assert accepted_language(None) is None


async def test_language_follows_the_header_then_the_switch(admin: httpx.AsyncClient) -> None:
    english = await admin.get("/accounts", headers=EN)
    assert '<html lang="en">' in english.text and "Mailboxes" in english.text and "邮箱账号" not in english.text
    chinese = await admin.get("/accounts", headers=ZH)
    assert '<html lang="zh-CN">' in chinese.text and "邮箱账号" in chinese.text

    switched = await admin.get("/lang/zh?next=/accounts/new", headers=EN)
    assert switched.status_code == 303 and switched.headers["location"] == "/accounts/new"
    assert "mh_lang=zh" in switched.headers["set-cookie"]
    kept = await admin.get("/accounts", headers=EN)  # the choice beats the browser's header
    assert "邮箱账号" in kept.text and "新建" in kept.text

    offsite = await admin.get("/lang/en?next=https://evil.example/")
    assert offsite.headers["location"] == "/accounts"
    assert (await admin.get("/lang/fr")).status_code == 404
