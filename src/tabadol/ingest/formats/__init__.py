"""Wire formats: one module per format, each a pure function from bytes to ParsedItems.

A format never touches storage or the network. The registry below is the single, explicit list of
built-in formats; a plug-in registers its own `WireFormat` the same way (`FormatRegistry.register`).
How the bytes arrived (HTTP push, feed poll, drop folder, CLI) is the transports' business, not
the formats'.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tabadol.errors import ErrorCode, ParseError
from tabadol.types import ParsedItem

ParseFn = Callable[[bytes, str | None], list[ParsedItem]]
SniffFn = Callable[[bytes], bool]


@dataclass(frozen=True, slots=True)
class WireFormat:
    name: str  # stable identifier, e.g. "ninjs", "newsml-g2"
    media_types: tuple[str, ...]  # Content-Types that select this format directly
    sniff: SniffFn  # True if the bytes look like this format (checked in registration order)
    parse: ParseFn  # raises ParseError; returns at least one item


class FormatRegistry:
    def __init__(self, formats: Iterable[WireFormat] = ()) -> None:
        self._formats: list[WireFormat] = []
        for fmt in formats:
            self.register(fmt)

    def register(self, fmt: WireFormat) -> None:
        if any(f.name == fmt.name for f in self._formats):
            raise ValueError(f"format {fmt.name!r} is already registered")
        self._formats.append(fmt)

    @property
    def formats(self) -> tuple[WireFormat, ...]:
        return tuple(self._formats)

    def get(self, name: str) -> WireFormat:
        for fmt in self._formats:
            if fmt.name == name:
                return fmt
        raise KeyError(name)

    def choose(self, data: bytes, content_type: str | None) -> WireFormat:
        """By Content-Type when it names one format; otherwise by sniffing the bytes."""
        media_type = (content_type or "").split(";")[0].strip().lower()
        if media_type:
            for fmt in self._formats:
                if media_type in fmt.media_types:
                    return fmt
        for fmt in self._formats:
            if fmt.sniff(data):
                return fmt
        hint = f" (Content-Type {media_type!r})" if media_type else ""
        raise ParseError(ErrorCode.UNSUPPORTED_FORMAT, hint=hint)

    def parse(self, data: bytes, content_type: str | None) -> tuple[str, list[ParsedItem]]:
        if not data or not data.strip():
            raise ParseError(ErrorCode.EMPTY_BODY)
        fmt = self.choose(data, content_type)
        items = fmt.parse(data, content_type)
        if not items:
            raise ParseError(ErrorCode.NO_ITEMS)
        return fmt.name, items


def builtin_formats() -> list[WireFormat]:
    """The built-in formats, most specific first (plain text, which accepts anything, is last)."""
    from tabadol.ingest.formats import feeds, jsonfeed, newsml_g2, ninjs, nitf, plaintext

    return [
        ninjs.FORMAT,
        jsonfeed.FORMAT,
        newsml_g2.FORMAT,
        nitf.FORMAT,
        feeds.RSS_FORMAT,
        feeds.ATOM_FORMAT,
        plaintext.FORMAT,
    ]


def default_registry() -> FormatRegistry:
    return FormatRegistry(builtin_formats())
