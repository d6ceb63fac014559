"""Text out of an uploaded policy document, and the document split into passages with headings.

``extract`` runs in a child process of a limited pool (services/policies.py: a deadline after
which the child is killed, an address-space limit), because a PDF is hostile input: a "bomb" with
a huge page tree, objects nested thousands deep or streams that inflate to gigabytes costs one
child, never the app. PDFs are read by pypdf (pure Python, maintained, already a dependency of the
tests); the page count is checked before any page is read, the text read is bounded, and every
failure comes back as a reason in words, never as an exception the parent has to know.

``split`` is pure and runs anywhere: Markdown headings (``#`` …) or, in plain text and PDF text,
numbered headings ("4", "4.2 Passwords", "A.5.1 …", "§ 3", "Article 32 …") make a heading path
("4 Access control > 4.2 Passwords") that every passage under it keeps; long sections are cut on
paragraph boundaries into passages of at most ``PASSAGE_CHARS``.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

PASSAGE_CHARS = 1_200
HEADING_CHARS = 120
PDF_MAGIC = b"%PDF-"
# A page of real text has more than this many letters; a scanned page has (almost) none.
TEXT_PER_PAGE_MIN = 20

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_NUMBERED = re.compile(
    r"^(?P<num>(?:\d{1,3}(?:\.\d{1,3}){0,4}\.?)|(?:[A-Z]\.\d{1,3}(?:\.\d{1,3}){0,3})|(?:§\s*\d{1,3})|"
    r"(?:(?:Article|Art\.|Section|Annex|Chapter|Clause)\s+[0-9A-Z]{1,4}\.?))\s+(?P<title>\S.{0,110})$"
)


@dataclass(frozen=True, slots=True)
class Extracted:
    ok: bool
    pages: list[str]  # one text per page (a text file is one "page")
    problem: str = ""  # why not, in words


def extract_pdf(data: bytes, max_pages: int, max_chars: int) -> Extracted:
    """The text of each page, or why it cannot be had. Runs in a limited child process."""
    from pypdf import PdfReader  # imported where it runs: the child
    from pypdf.errors import LimitReachedError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return Extracted(False, [], "This PDF is password-protected. Upload it without a password.")
        # What the page tree claims, read before it is walked (a bomb claims millions of pages).
        pages_node = reader.root_object.get("/Pages")
        declared = pages_node.get_object().get("/Count", 0) if pages_node is not None else 0
        if isinstance(declared, int) and declared > max_pages:
            return Extracted(False, [], f"This PDF has {declared:,} pages; at most {max_pages:,} are read. Split it.")
        count = len(reader.pages)
        if count > max_pages:
            return Extracted(False, [], f"This PDF has {count:,} pages; at most {max_pages:,} are read. Split it.")
        if count == 0:
            return Extracted(False, [], "This PDF has no pages.")
        pages: list[str] = []
        total = 0
        for page in reader.pages:
            content = page.extract_text() or ""
            total += len(content)
            if total > max_chars:
                return Extracted(False, [], f"This PDF holds more than {max_chars:,} characters of text. Split it.")
            pages.append(content)
    except RecursionError:
        return Extracted(False, [], "This PDF's objects are nested too deeply to be read safely.")
    except LimitReachedError as exc:
        return Extracted(False, [], f"This PDF goes past what a reader should accept ({exc}).")
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, EOFError) as exc:
        if _caused_by_recursion(exc):  # pypdf wraps the RecursionError of a too deeply nested object
            return Extracted(False, [], "This PDF's objects are nested too deeply to be read safely.")
        return Extracted(False, [], f"This file is not a readable PDF ({type(exc).__name__}).")
    if sum(len(re.sub(r"\W", "", p)) for p in pages) < TEXT_PER_PAGE_MIN * len(pages):
        return Extracted(
            False,
            [],
            "This PDF has no text to read (a scanned image?). Upload a PDF with a text layer, or its text as a "
            "Markdown or text file.",
        )
    return Extracted(True, pages)


def _caused_by_recursion(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, RecursionError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def decode_text(data: bytes) -> Extracted:
    """A text or Markdown file: UTF-8 (with or without its mark), no binary bytes."""
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Extracted(False, [], "This file is not UTF-8 text. Save it as UTF-8, or upload a PDF.")
    if "\x00" in content:
        return Extracted(False, [], "This file holds binary data, not text.")
    if not content.strip():
        return Extracted(False, [], "This file is empty.")
    return Extracted(True, [content])


def extract(data: bytes, markdown: bool, max_pages: int, max_chars: int) -> Extracted:
    """Judged by content: a file starting with %PDF- is read as a PDF, anything else as text."""
    del markdown  # the splitter decides; kept in the signature for the caller's clarity
    if data[:1024].lstrip().startswith(PDF_MAGIC):
        return extract_pdf(data, max_pages, max_chars)
    decoded = decode_text(data)
    if decoded.ok and len(decoded.pages[0]) > max_chars:
        return Extracted(False, [], f"This file holds more than {max_chars:,} characters of text. Split it.")
    return decoded


@dataclass(frozen=True, slots=True)
class Passage:
    heading: str  # the path: "4 Access control > 4.2 Passwords"
    text: str
    page: int | None  # 1-based, for PDFs


def _heading(line: str, markdown: bool) -> tuple[int, str] | None:
    """(level, title) when the line is a heading."""
    stripped = line.strip()
    if markdown:
        found = _MD_HEADING.match(stripped)
        return (len(found.group(1)), found.group(2).strip()[:HEADING_CHARS]) if found else None
    if len(stripped) > HEADING_CHARS or (stripped.endswith((".", ",", ";", ":")) and not stripped[:-1].isdigit()):
        return None
    found = _NUMBERED.match(stripped)
    if found is None:
        return None
    number = found.group("num").rstrip(".")
    level = number.count(".") + 1 if number[:1].isdigit() else max(1, number.count("."))
    return level, f"{number} {found.group('title').strip()}"


def _chunks(text: str) -> list[str]:
    """Cut a section on paragraph (then line, then word) boundaries into passages."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    chunks: list[str] = []
    current = ""
    for paragraph in paragraphs:
        while len(paragraph) > PASSAGE_CHARS:  # one huge paragraph: cut at the last space before the limit
            cut = paragraph.rfind(" ", 0, PASSAGE_CHARS)
            cut = cut if cut > PASSAGE_CHARS // 2 else PASSAGE_CHARS
            if current:
                chunks.append(current)
                current = ""
            chunks.append(paragraph[:cut].strip())
            paragraph = paragraph[cut:].strip()
        if current and len(current) + len(paragraph) + 2 > PASSAGE_CHARS:
            chunks.append(current)
            current = ""
        current = f"{current}\n\n{paragraph}" if current else paragraph
    if current:
        chunks.append(current)
    return chunks


def split(pages: list[str], *, markdown: bool) -> list[Passage]:
    """Passages in document order, each with the heading path above it and its first page."""
    path: list[tuple[int, str]] = []
    passages: list[Passage] = []
    body: list[str] = []
    body_page: int | None = None

    def flush() -> None:
        text = "\n".join(body).strip()
        if text:
            heading = " > ".join(title for _, title in path)
            passages.extend(Passage(heading[:300], chunk, body_page) for chunk in _chunks(text))
        body.clear()

    in_fence = False
    for number, page in enumerate(pages, start=1):
        for line in page.splitlines():
            if markdown and line.strip().startswith(("```", "~~~")):
                in_fence = not in_fence
            found = None if in_fence else _heading(line, markdown)
            if found is None:
                if not body:
                    body_page = number if len(pages) > 1 else None
                body.append(line)
                continue
            flush()
            level, title = found
            path = [(lvl, t) for lvl, t in path if lvl < level] + [(level, title)]
    flush()
    return passages
