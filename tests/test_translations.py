"""The English interface is complete: every message has a translation, none is fuzzy, and the
compiled catalogue the server loads matches the source."""

import gettext
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES"


def po_entries() -> list[str]:
    return [block for block in LOCALE.joinpath("django.po").read_text(encoding="utf-8").split("\n\n")[1:] if block]


def test_no_message_is_untranslated_or_fuzzy():
    bad = [b for b in po_entries() if "#, fuzzy" in b or re.search(r'^msgstr(\[\d\])? ""\n(?!")', b + "\n", re.M)]
    assert bad == []


def test_the_compiled_catalogue_matches_the_source():
    with LOCALE.joinpath("django.mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    for block in po_entries():
        match = re.search(r'^msgid "(.+)"$', block, re.M)
        if not match or "msgid_plural" in block:
            continue
        msgid = match.group(1).encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        assert catalogue.gettext(msgid) != msgid, msgid
