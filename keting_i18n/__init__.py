"""The message catalogue: every text a viewer, editor or administrator reads.

Code never holds user-facing Chinese: it asks for a message by key. Adding a
language means adding one module beside zh_CN.py with the same keys (a test
checks that every catalogue has every key with the same placeholders).
"""

from __future__ import annotations

import string

from . import zh_CN

CATALOGUES: dict[str, dict[str, str]] = {"zh_CN": zh_CN.MESSAGES}
DEFAULT_LANGUAGE = "zh_CN"


def text(message_id: str, /, *, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """Return message `message_id` in language `lang`, with `params` filled in.

    An unknown key raises KeyError on purpose: a missing message is a bug to
    catch in tests, not something to paper over with the key itself.
    """
    catalogue = CATALOGUES.get(lang) or CATALOGUES[DEFAULT_LANGUAGE]
    template = catalogue[message_id]
    return template.format(**params) if params else template


def placeholders(template: str) -> set[str]:
    """Names of the {placeholders} in a message template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def catalogue_for(lang: str) -> dict[str, str]:
    """Every message of a language (the console sends its scripts' messages with each page)."""
    return CATALOGUES.get(lang) or CATALOGUES[DEFAULT_LANGUAGE]
