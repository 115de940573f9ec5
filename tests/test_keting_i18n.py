"""The message catalogue: every id the code asks for exists, in every language."""

from __future__ import annotations

import re

import pytest

from keting_i18n import CATALOGUES, DEFAULT_LANGUAGE, placeholders, text
from tests.conftest import REPO

# Any quoted "group.name" (or "group.sub.name") string whose group is a catalogue section is a message id.
SECTIONS = sorted({key.split(".")[0] for key in CATALOGUES[DEFAULT_LANGUAGE]})
# (url_for's endpoint names look alike and are skipped; an id ending in "_" is a prefix
# completed at run time, listed in DYNAMIC below.)
USE = re.compile(r"""(?<!url_for\()["']((?:""" + "|".join(SECTIONS) + r""")\.[a-z0-9_.]*[a-z0-9])["']""")
# The console's scripts ask for t("name"): catalogue id console.js.name.
SCRIPT_USE = re.compile(r"""\bt\(["'`]([a-z0-9_]+)["'`]""")
DYNAMIC = re.compile(r"^(api\.http_\d+|config\.type_\w+"
                     r"|console\.(state|kind|role|job|weekday|live_state|entry|device)_\w+|console\.js\.job_\w+)$")


def used_ids() -> set[str]:
    found: set[str] = set()
    for folder in ("server", "stb_client", "keting_i18n"):
        for path in (REPO / folder).rglob("*"):
            if path.suffix in (".py", ".html"):
                found |= set(USE.findall(path.read_text(encoding="utf-8")))
            elif path.suffix == ".js" and "vendor" not in path.parts:
                found |= {f"console.js.{name}" for name in SCRIPT_USE.findall(path.read_text(encoding="utf-8"))}
    return found


def test_the_scan_finds_the_code_s_messages():
    ids = used_ids()
    assert {"config.duplicate_board_key", "api.unknown_item", "page.title", "stb.paired"} <= ids


def test_every_used_id_is_in_the_default_catalogue():
    assert used_ids() - set(CATALOGUES[DEFAULT_LANGUAGE]) == set()


def test_no_unused_messages():
    # api.http_* are chosen by status code at run time, config.type_* by type, the console's by state.
    unused = {k for k in CATALOGUES[DEFAULT_LANGUAGE] if not DYNAMIC.match(k)} - used_ids()
    assert unused == set()


@pytest.mark.parametrize("lang", sorted(CATALOGUES))
def test_every_language_has_every_message_with_the_same_placeholders(lang):
    reference = CATALOGUES[DEFAULT_LANGUAGE]
    catalogue = CATALOGUES[lang]
    assert set(catalogue) == set(reference)
    for key, template in catalogue.items():
        assert placeholders(template) == placeholders(reference[key]), key


def test_unknown_id_is_an_error_not_a_silent_key():
    with pytest.raises(KeyError):
        text("no.such_message")


def test_parameters_are_filled():
    assert "42" in text("item.not_found", id=42)
