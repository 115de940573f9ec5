"""Article bodies: Markdown in, sanitised HTML and large-print plain text out.

Editors write Markdown; boxes get HTML that cannot carry script (nh3, the
Rust ammonia sanitiser, runs on the output even though raw HTML is already
disabled in the parser: defence in depth) and a plain-text version that the
set-top client pages in large print without an HTML engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

_PARSER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

_ALLOWED_TAGS = {
    "h1", "h2", "h3", "h4", "p", "br", "hr", "strong", "em", "del", "blockquote",
    "ul", "ol", "li", "a", "img", "code", "pre", "table", "thead", "tbody", "tr", "th", "td",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}


@dataclass(frozen=True)
class RenderedArticle:
    """An article body in the three forms the system keeps."""

    html: str
    text: str
    images: tuple[str, ...]


def sanitise_html(html: str) -> str:
    """Keep only the tags a TV article needs; drop scripts, styles and event handlers."""
    return nh3.clean(html, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https"}, link_rel="noopener noreferrer")


def _inline_text(token: Token, images: list[str]) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "image":
            src = str(child.attrs.get("src", ""))
            if src:
                images.append(src)
            alt = "".join(c.content for c in child.children or [])
            parts.append(f"[{alt}]" if alt else "")
    return "".join(parts).strip()


def _plain_text(tokens: list[Token], images: list[str]) -> str:
    """Blocks separated by blank lines; list items numbered or bulleted."""
    blocks: list[str] = []
    lists: list[list[int | None]] = []  # stack of [next number] or [None] for bullets
    row: list[str] | None = None
    prefix = ""
    for token in tokens:
        if token.type == "ordered_list_open":
            lists.append([int(token.attrs.get("start", 1) or 1)])
        elif token.type == "bullet_list_open":
            lists.append([None])
        elif token.type in ("ordered_list_close", "bullet_list_close"):
            lists.pop()
        elif token.type == "list_item_open":
            counter = lists[-1]
            indent = "  " * (len(lists) - 1)
            if counter[0] is None:
                prefix = f"{indent}• "
            else:
                prefix = f"{indent}{counter[0]}. "
                counter[0] += 1
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            blocks.append("  ".join(row))
            row = None
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content.rstrip("\n"))
        elif token.type == "inline":
            content = _inline_text(token, images)
            if row is not None:
                row.append(content)
            elif content:
                blocks.append(prefix + content)
                prefix = ""
    return "\n\n".join(blocks)


def render_markdown(source: str) -> RenderedArticle:
    """Render an editor's Markdown into sanitised HTML, plain text and its image list."""
    tokens = _PARSER.parse(source)
    html = sanitise_html(_PARSER.renderer.render(tokens, _PARSER.options, {}))
    images: list[str] = []
    text = _plain_text(tokens, images)
    return RenderedArticle(html=html, text=text, images=tuple(images))
