"""Access to the shared ISO 20022 samples and XSDs (tests only: the product never reads them)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from lxml import etree

from tests.conftest import SHARED_DATA

ISO_DIR = SHARED_DATA / "iso20022"
XSD_DIR = ISO_DIR / "xsd"
XML_SAMPLES = ISO_DIR / "xml_samples"
JSON_SAMPLES = ISO_DIR / "tazama_json_samples"
JSON_SCHEMAS = ISO_DIR / "tazama_json_schemas"

needs_shared = pytest.mark.skipif(
    not XSD_DIR.is_dir(), reason=f"shared ISO 20022 data not found at {ISO_DIR}"
)


@cache
def schema(name: str) -> Any:
    """The official XSD ``name`` (e.g. ``pacs.008.001.10``), loaded once per run."""
    import xmlschema

    return xmlschema.XMLSchema(str(XSD_DIR / f"{name}.xsd"))


def document_of(data: bytes) -> Any:
    root = etree.fromstring(data)
    return next(e for e in root.iter() if etree.QName(e).localname == "Document")


def xsd_errors(data: bytes) -> list[str]:
    """The XSD's complaints about the Document in ``data`` (its own version's schema)."""
    document = document_of(data)
    version = etree.QName(document).namespace.rsplit(":", 1)[-1]
    return [str(e.reason) for e in schema(version).iter_errors(etree.tostring(document).decode())]


def edit(data: bytes, path: str, change: Callable[[Any], None]) -> bytes:
    """Apply ``change`` to every element at ``path`` (local names from the Document's first
    child, ``/``-separated) and serialise again."""
    root = etree.fromstring(data)
    document = next(e for e in root.iter() if etree.QName(e).localname == "Document")
    xpath = "./" + "/".join(f"*[local-name()='{p}']" for p in path.split("/"))
    found = document.xpath(xpath)
    assert found, f"no element at {path}"
    for el in found:
        change(el)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def remove(el: Any) -> None:
    el.getparent().remove(el)


def set_text(value: str) -> Callable[[Any], None]:
    def change(el: Any) -> None:
        el.text = value

    return change


def set_attr(name: str, value: str | None) -> Callable[[Any], None]:
    def change(el: Any) -> None:
        if value is None:
            del el.attrib[name]
        else:
            el.set(name, value)

    return change


def duplicate(el: Any) -> None:
    el.addnext(etree.fromstring(etree.tostring(el)))


def add_child(xml: str) -> Callable[[Any], None]:
    def change(el: Any) -> None:
        child = etree.fromstring(f'<wrap xmlns="{etree.QName(el).namespace}">{xml}</wrap>')
        for c in child:
            el.append(c)

    return change
