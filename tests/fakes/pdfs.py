"""Small PDFs written byte by byte for the policy library's tests: real files any reader opens
(pypdf here, Chromium and poppler too), and the hostile ones a reader must survive."""

from __future__ import annotations


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _document(objects: list[bytes], root: int = 1) -> bytes:
    """Objects 1..n (bodies without "n 0 obj"), a correct cross-reference table and trailer."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _stream(content: bytes) -> bytes:
    return f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream"


def text_pdf(pages: list[list[str]], *, catalog_extra: str = "") -> bytes:
    """One page per list of lines, in Helvetica, top to bottom."""
    n = len(pages)
    # 1 catalog, 2 pages, 3 font, then (page, content) pairs
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objects = [
        f"<< /Type /Catalog /Pages 2 0 R {catalog_extra}>>".encode(),
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, lines in enumerate(pages):
        shown = b"".join(f"({_escape(line)}) Tj T*\n".encode("latin-1") for line in lines)
        content = b"BT /F1 11 Tf 14 TL 50 780 Td\n" + shown + b"ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(_stream(content))
    return _document(objects)


def scanned_pdf(pages: int = 2) -> bytes:
    """Pages that only draw (as a scanned image would): no text to read."""
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode()]
    for i in range(pages):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {4 + 2 * i} 0 R >>".encode())
        objects.append(_stream(b"0.5 g 40 40 515 762 re f"))
    return _document(objects)


def page_bomb(fan: int = 1_000) -> bytes:
    """A page tree of ``fan`` x ``fan`` pages (a million), all the same tiny page: a file of a few
    kilobytes that claims a huge document."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{' '.join(['3 0 R'] * fan)}] /Count {fan * fan} >>".encode(),
        f"<< /Type /Pages /Parent 2 0 R /Kids [{' '.join(['4 0 R'] * fan)}] /Count {fan} >>".encode(),
        b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 10 10] /Contents 5 0 R >>",
        _stream(b"BT ET"),
    ]
    return _document(objects)


def nesting_bomb(depth: int = 100_000) -> bytes:
    """A text PDF whose catalog holds an array nested ``depth`` levels deep."""
    return text_pdf(
        [["1 Scope", "This policy applies to everyone who logs in."]],
        catalog_extra=f"/Nest {'[' * depth}{']' * depth} ",
    )
