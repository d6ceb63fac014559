"""The display rows of the Reports tab and the viewer, built without a browser or a database."""

from __future__ import annotations

from datetime import date

from nyx_app.integrations import markdown
from nyx_app.models.report import PdfStatus
from nyx_app.pages.report_rows import TocEntry, default_period, kind_options, pdf_note, table_of_contents
from nyx_app.services.reports.store import without_title


def test_the_table_of_contents_follows_the_headings_and_their_ids() -> None:
    html = markdown.render("# Report\n\n## Steps & <costs>\n\n### `plan` step\n\n#### too deep\n\n## Steps & <costs>")
    assert table_of_contents(html) == [
        TocEntry(1, "Report", "md-report"),
        TocEntry(2, "Steps & <costs>", "md-steps-costs"),
        TocEntry(3, "plan step", "md-plan-step"),
        TocEntry(2, "Steps & <costs>", "md-steps-costs-2"),
    ]
    assert table_of_contents(without_title(html))[0] == TocEntry(2, "Steps & <costs>", "md-steps-costs")


def test_a_pdf_that_is_not_ready_is_explained_in_words() -> None:
    assert pdf_note(PdfStatus.READY, "", False) == ""
    assert pdf_note(PdfStatus.PENDING, "", False) == "The PDF is being made…"
    assert "server may have restarted" in pdf_note(PdfStatus.PENDING, "", True)
    failed = pdf_note(PdfStatus.FAILED, "A diagram could not be drawn (diagram 1 of 1): it is empty.", False)
    assert failed == (
        "The PDF could not be made: A diagram could not be drawn (diagram 1 of 1): it is empty. "
        "The Markdown download works."
    )


def test_the_kinds_on_offer_and_the_default_period() -> None:
    assert [k.label for k in kind_options()] == [
        "Project overview",
        "Run report",
        "Executive summary",
        "Dev-log post",
    ]
    assert default_period(date(2026, 3, 15)) == ("2026-03-09", "2026-03-15")
