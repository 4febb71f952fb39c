"""XML helpers shared by the XML formats: cheap root sniffing and namespace-agnostic element access."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from tabadol.ingest.decode import detect_bom, unicode_family_without_bom

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_START_TAG = re.compile(r"<(?:([A-Za-z_][\w.\-]*):)?([A-Za-z_][\w.\-]*)([^>]*)>?", re.DOTALL)
_SNIFF_BYTES = 8192


@dataclass(frozen=True, slots=True)
class RootTag:
    local_name: str
    namespace: str | None


def sniff_root(data: bytes) -> RootTag | None:
    """The root element's name and namespace, read from the first bytes without parsing.

    Only used to choose a format; the chosen format then parses the document properly.
    """
    head = _sniff_text(data[:_SNIFF_BYTES])
    if not head.lstrip().startswith("<"):
        return None
    match = _START_TAG.search(_COMMENT.sub("", head))
    if match is None:
        return None
    prefix, local_name, attributes = match.groups()
    return RootTag(local_name, _declared_namespace(attributes, prefix))


def _sniff_text(head: bytes) -> str:
    bom = detect_bom(head)
    if bom is not None:
        codec, length = bom
        return head[length:].decode(codec, errors="ignore")
    wide = unicode_family_without_bom(head)
    if wide is not None:
        return head.decode(wide, errors="ignore")
    # Every charset XML allows without a BOM is ASCII-compatible for markup characters.
    return head.decode("latin-1")


def _declared_namespace(attributes: str, prefix: str | None) -> str | None:
    name = f"xmlns:{prefix}" if prefix else "xmlns"
    match = re.search(rf"""{re.escape(name)}\s*=\s*["']([^"']*)["']""", attributes)
    return match.group(1) if match else None


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def children(element: etree._Element, name: str) -> list[etree._Element]:
    """Child elements with this local name, in any namespace."""
    return [child for child in element if isinstance(child.tag, str) and local_name(child) == name]


def child(element: etree._Element | None, *path: str) -> etree._Element | None:
    """Follow a path of local names; None as soon as a step is missing."""
    current = element
    for name in path:
        if current is None:
            return None
        found = children(current, name)
        current = found[0] if found else None
    return current


def descendants(element: etree._Element, name: str) -> list[etree._Element]:
    return [node for node in element.iter() if isinstance(node.tag, str) and local_name(node) == name]


def text_of(element: etree._Element | None) -> str | None:
    """All text inside the element, whitespace collapsed; None when blank."""
    if element is None:
        return None
    text = " ".join("".join(element.itertext()).split())
    return text or None


def attribute(element: etree._Element | None, name: str) -> str | None:
    if element is None:
        return None
    value = element.get(name)
    return value.strip() if value and value.strip() else None


XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
