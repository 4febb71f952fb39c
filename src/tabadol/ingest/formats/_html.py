"""Plain text from HTML/XHTML bodies, derived without a network, a DTD or entity expansion.

The stdlib HTML tokenizer only knows the fixed HTML5 character references, so nothing in the input
can make it fetch, load or expand anything. Block elements become paragraph breaks ("\\n\\n"),
`<br>` a line break; script/style content is dropped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from lxml import etree

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body.content", "body.end", "body.head", "byline",
        "dd", "div", "dl", "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hedline", "hl1", "hl2", "hr", "li", "nitf-table", "ol", "p", "pre", "section",
        "table", "td", "th", "tr", "ul", "dateline", "abstract", "block", "media-caption", "note",
    }
)  # fmt: skip
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "template"})
_PARAGRAPH = "\x1e"  # record separator: marks a paragraph boundary until the final clean-up
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def _local_name(tag: str) -> str:
    return tag.rsplit(":", 1)[-1].lower()


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = _local_name(tag)
        if name in _SKIPPED_TAGS:
            self._skip_depth += 1
        elif name == "br":
            self._parts.append("\n")
        elif name in _BLOCK_TAGS:
            self._parts.append(_PARAGRAPH)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = _local_name(tag)
        if name == "br":
            self._parts.append("\n")
        elif name in _BLOCK_TAGS:
            self._parts.append(_PARAGRAPH)

    def handle_endtag(self, tag: str) -> None:
        name = _local_name(tag)
        if name in _SKIPPED_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif name in _BLOCK_TAGS:
            self._parts.append(_PARAGRAPH)

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            # Source line breaks are only whitespace in HTML; real breaks come from <br> and blocks.
            self._parts.append(data.replace("\r", " ").replace("\n", " "))

    def text(self) -> str:
        return "".join(self._parts)


def html_to_text(html: str) -> str:
    """Readable plain text: paragraphs separated by a blank line, whitespace inside them collapsed."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return normalise_paragraphs(extractor.text().split(_PARAGRAPH))


def element_to_text(element: etree._Element) -> str:
    """The same conversion for an already-parsed XML element (NITF body, XHTML inlineXML)."""
    return html_to_text(etree.tostring(element, encoding="unicode", with_tail=False))


def normalise_paragraphs(chunks: list[str]) -> str:
    paragraphs: list[str] = []
    for chunk in chunks:
        lines = [_SPACES.sub(" ", line).strip() for line in chunk.split("\n")]
        # Only explicit <br> breaks survive as "\n" here (source wrapping was made a space).
        text = "\n".join(line for line in lines if line)
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)


def looks_like_html(value: str) -> bool:
    return bool(re.search(r"<[A-Za-z][^>]*>", value))
