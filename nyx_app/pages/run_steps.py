"""The run page's step cards: status, model, cost, attempts, output as it arrives, fan-out groups
with their items and sources, and the review form.

Model output is text from outside (a prompt can make a model say anything): it is rendered by
the app's one Markdown component, never as raw HTML.

Step cards and item rows are ``rx.memo`` components (React's memo): a watched run updates the page
several times a second, and each update should redraw the card that changed, not all forty.
Reflex keeps the rows that did not change identical from one update to the next, so memo skips
them. Their bodies must read no state var (a component reading state redraws on every change of
that state, whatever its props): they show their row only; the review form sits below its card.
"""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.components.image_gallery import backend_url
from nyx_app.components.layout import error_callout
from nyx_app.components.markdown import markdown_view
from nyx_app.pages.run_rows import AttemptRow, ItemRow, SourceRow, StepRow
from nyx_app.pages.run_state import RunState


def _badge(label: rx.Var[str], color: rx.Var[str], class_name: str) -> rx.Component:
    return rx.badge(label, color_scheme=color, variant="soft", size="2", class_name=class_name)  # type: ignore[arg-type]


def _meta(*parts: rx.Component) -> rx.Component:
    return rx.hstack(*parts, spacing="3", flex_wrap="wrap", align="center")


def _fact(label: str, value: rx.Var[str], class_name: str, ticking: rx.Var[str] | None = None) -> rx.Component:
    extra = {"data-elapsed": ticking} if ticking is not None else {}
    return rx.text(
        rx.text.span(label, color_scheme="gray"), " ", rx.text.span(value, class_name=class_name, **extra), size="1"
    )


def output_view(html: rx.Var[str], class_name: str, max_height: rx.Var[str] | str = "28em") -> rx.Component:
    """A model's answer, rendered by the app's one Markdown component, in a scrolling box."""
    return rx.box(
        markdown_view(html),
        class_name=class_name,
        max_height=max_height,
        overflow_y="auto",
        tab_index=0,  # it scrolls: a keyboard must reach it
        padding="0.6em",
        border_radius="var(--radius-2)",
        background="var(--gray-a2)",
        width="100%",
    )


def output_actions(row_id: rx.Var[str], download: rx.Var[str], what: str) -> rx.Component:
    """Copy (the whole answer, read when clicked) and Download as Markdown. Static: nothing here
    changes while the run streams, so the buttons add no work to an update."""
    return rx.cond(
        download != "",
        rx.hstack(
            rx.button(
                rx.icon("copy", size=12),
                "Copy",
                size="1",
                variant="ghost",
                on_click=RunState.copy_output(row_id),
                aria_label=f"Copy the {what}",
                class_name="copy-output",
            ),
            # The browser follows it itself (not the client router) and saves the file.
            rx.el.a(
                rx.icon("download", size=12),
                "Markdown",
                href=backend_url(download),
                download="",
                reload_document=True,
                aria_label=f"Download the {what} as Markdown",
                class_name="download-output nyx-inline-action",
            ),
            spacing="3",
            align="center",
            class_name="output-actions",
        ),
    )


def _readable(step: StepRow) -> rx.Component:
    """A finished JSON answer as a table or list, with its raw JSON one click away."""
    return rx.vstack(
        rx.box(
            markdown_view(step.readable_html),
            class_name="step-readable nyx-table-scroll",
            max_height="36em",
            overflow="auto",
            tab_index=0,
            width="100%",
        ),
        rx.el.details(
            rx.el.summary("Raw JSON", class_name="raw-toggle"),
            output_view(step.html, "step-output"),
            class_name="raw-json",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def _full_toggle(
    row_id: rx.Var[str], truncated: rx.Var[bool] | bool, showing_full: rx.Var[bool], label: str = "Show full output"
) -> rx.Component:
    return rx.cond(
        showing_full,
        rx.button("Show less", size="1", variant="ghost", on_click=RunState.hide_full(row_id), class_name="hide-full"),
        rx.cond(
            truncated,
            rx.button(
                label,
                size="1",
                variant="ghost",
                on_click=RunState.show_full(row_id),
                class_name="show-full",
            ),
        ),
    )


def _attempt(a: AttemptRow) -> rx.Component:
    return rx.text(
        rx.text.span(a.model, weight="medium"),
        ": ",
        rx.text.span(a.problem, color_scheme="red"),
        rx.cond(a.message != "", rx.text.span(" — ", a.message, color_scheme="gray")),
        size="1",
        overflow_wrap="anywhere",
        class_name="attempt",
    )


def _source(src: SourceRow) -> rx.Component:
    label = rx.hstack(
        rx.icon(rx.cond(src.is_image, "image", "file-text"), size=12),  # type: ignore[arg-type]
        rx.text(src.ref, size="1"),
        spacing="1",
        align="center",
    )
    return rx.cond(
        src.is_image,
        rx.link(label, href=backend_url(src.href), is_external=True, title=src.title, class_name="source-image"),
        rx.link(label, href=src.href, title=src.title, class_name="source-note"),
    )


_BEFORE_RUN, _AFTER_RUN = routes.RUN_OUTPUT_DOWNLOAD.split("{run_id}")
_BEFORE_ROW, _AFTER_ROW = _AFTER_RUN.split("{row_id}")


def item_download(run_id: rx.Var[str], item: rx.Var[ItemRow]) -> rx.Var[str]:
    """A finished item's Markdown download, built in the page from ids it already has: an update
    of a watched run carries no URL per item."""
    url = rx.Var.create(_BEFORE_RUN) + run_id + _BEFORE_ROW + item.row_id + _AFTER_ROW
    return rx.cond(item.status == "succeeded", url, "")  # type: ignore[return-value]


@rx.memo
def item_card(item: rx.Var[ItemRow], run_id: rx.Var[str]) -> rx.Component:
    return rx.vstack(
        _meta(
            _badge(item.status_label, item.status_color, "item-status"),
            rx.text("#", item.number, " ", item.label, size="2", weight="medium", class_name="item-label"),
            _fact("", item.duration, "item-duration"),
            _fact("tokens", item.tokens, "item-tokens"),
            _fact("cost", item.cost, "item-cost"),
            rx.cond(
                item.sources.length() > 0,  # type: ignore[attr-defined]
                rx.hstack(
                    rx.text("from", size="1", color_scheme="gray"),
                    rx.foreach(item.sources, _source),
                    spacing="2",
                    align="center",
                    flex_wrap="wrap",
                    class_name="item-sources",
                ),
            ),
        ),
        rx.cond(item.error != "", rx.text(item.error, size="1", color_scheme="red", class_name="item-error")),
        rx.cond(
            item.html != "",
            output_view(item.html, "item-output", rx.cond(item.showing_full, "28em", "8em")),
        ),
        rx.hstack(
            _full_toggle(item.row_id, item.truncated, item.showing_full),
            output_actions(item.row_id, item_download(run_id, item), "answer"),
            spacing="3",
            align="center",
        ),
        spacing="1",
        width="100%",
        padding_y="0.4em",
        border_top="1px solid var(--gray-a4)",
        class_name="fanout-item",
    )


def _group(step: StepRow) -> rx.Component:
    return rx.vstack(
        _meta(
            rx.cond(
                step.items_total > 0,
                rx.text("Items ", step.progress, size="2", weight="medium", class_name="group-progress"),
            ),
            rx.cond(step.items_running > 0, rx.text(step.items_running, " running", size="1", color_scheme="blue")),
            rx.cond(
                step.items_failed > 0,
                rx.text(step.items_failed, " failed", size="1", color_scheme="red", class_name="group-failed"),
            ),
            rx.cond(
                step.items_total > 0,
                rx.button(
                    rx.cond(step.expanded, "Hide items", "Show items"),
                    size="1",
                    variant="soft",
                    on_click=RunState.toggle_group(step.key),
                    class_name="toggle-items",
                ),
            ),
        ),
        rx.progress(
            value=step.percent,
            size="1",
            width="100%",
            class_name="nyx-live-progress",
            aria_label=rx.Var.create("Items of ") + step.name,
        ),
        rx.cond(
            step.items_total == 0,
            rx.text("Its items appear once the list they come from is ready.", size="1", color_scheme="gray"),
        ),
        rx.cond(
            step.expanded,
            rx.vstack(
                rx.foreach(step.item_rows, lambda item: item_card(item=item, run_id=step.run_id)),
                rx.cond(
                    step.more_items > 0,
                    rx.button(
                        "Show more (",
                        step.more_items,
                        " not shown)",
                        size="1",
                        variant="soft",
                        on_click=RunState.show_more,
                        class_name="show-more-items",
                    ),
                ),
                spacing="0",
                width="100%",
            ),
        ),
        spacing="2",
        width="100%",
        class_name="fanout-group",
    )


def _review(step: StepRow) -> rx.Component:
    return rx.vstack(
        rx.text("This run waits for your review. Edit the text if needed, then approve or reject it.", size="2"),
        rx.form(
            rx.vstack(
                rx.text_area(
                    name="text",
                    default_value=RunState.review_text,
                    rows="14",
                    width="100%",
                    id="review-text",
                ),
                rx.input(name="note", placeholder="Note (optional)", width="100%", id="review-note"),
                rx.button(rx.icon("check", size=14), "Approve", type="submit", color_scheme="green", id="approve"),
                width="100%",
                spacing="2",
            ),
            on_submit=RunState.approve,
            key=RunState.review_row,
            width="100%",
            id="review-form",
        ),
        rx.form(
            rx.hstack(
                rx.input(name="reason", placeholder="Why is it rejected? (required)", flex="1", id="reject-reason"),
                rx.button("Reject", type="submit", color_scheme="red", variant="soft", id="reject"),
                width="100%",
                flex_wrap="wrap",
            ),
            on_submit=RunState.reject,
            reset_on_submit=False,
            width="100%",
        ),
        error_callout(RunState.review_error, id="review-error"),
        width="100%",
        spacing="2",
        padding="0.8em",
        border="1px solid var(--amber-a6)",
        border_radius="var(--radius-3)",
    )


def step_card(step: StepRow) -> rx.Component:
    """A step's card, and below it the review form while the run waits for this step's review."""
    return rx.fragment(step_card_body(step=step), rx.cond(step.waiting_review, _review(step)))


@rx.memo
def step_card_body(step: rx.Var[StepRow]) -> rx.Component:
    return rx.card(
        rx.vstack(
            _meta(
                _badge(step.status_label, step.status_color, "step-status"),
                rx.heading(step.name, size="3", class_name="step-name"),
                rx.code(step.key, size="1"),
                rx.cond(step.kind == "review", rx.badge("review", variant="outline", size="1")),
                rx.cond(
                    step.reused,
                    rx.badge("reused from the earlier run", variant="outline", size="1", class_name="step-reused"),
                ),
            ),
            _meta(
                rx.cond(step.model != "", _fact("model", step.model, "step-model")),
                _fact("time", step.duration, "step-duration", step.ticking),
                _fact("tokens", step.tokens, "step-tokens"),
                _fact("cost", step.cost, "step-cost"),
            ),
            rx.cond(
                step.context_note != "",
                rx.text(step.context_note, size="1", color_scheme="amber", class_name="context-note"),
            ),
            rx.cond(
                step.attempts.length() > 0,  # type: ignore[attr-defined]
                rx.vstack(
                    rx.text("Failed attempts", size="1", weight="medium"),
                    rx.foreach(step.attempts, _attempt),
                    spacing="1",
                    class_name="attempts",
                ),
            ),
            rx.cond(step.error != "", rx.text(step.error, size="2", color_scheme="red", class_name="step-error")),
            rx.cond(
                step.can_retry,
                rx.button(
                    rx.icon("rotate-ccw", size=14),
                    "Retry step",
                    size="1",
                    on_click=RunState.retry(step.key),
                    class_name="retry-step",
                ),
            ),
            rx.hstack(
                rx.cond(
                    step.can_compare,
                    rx.button(
                        rx.icon("columns-3", size=14),
                        "Compare models",
                        size="1",
                        variant="soft",
                        on_click=RunState.open_compare(step.key),
                        class_name="compare-models",
                    ),
                ),
                rx.cond(
                    step.can_pick,
                    rx.hstack(
                        rx.button(
                            rx.icon("trophy", size=14),
                            "Pick this model",
                            size="1",
                            on_click=RunState.pick_winner(step.key, False),
                            class_name="pick-winner",
                        ),
                        rx.button(
                            "Pick and use it in the workflow",
                            size="1",
                            variant="soft",
                            on_click=RunState.pick_winner(step.key, True),
                            class_name="pick-winner-apply",
                        ),
                        spacing="2",
                    ),
                ),
                spacing="2",
            ),
            rx.cond(
                step.can_rerun,
                rx.button(
                    rx.icon("git-branch", size=14),
                    "Re-run from here",
                    size="1",
                    variant="soft",
                    on_click=RunState.open_rerun(step.key),
                    class_name="rerun-step",
                ),
            ),
            rx.cond(
                step.review_note != "",
                rx.text("Review note: ", step.review_note, size="2", class_name="review-note"),
            ),
            # A fan-out step's answer is its items' answers, shown with the items (all of them on request).
            rx.cond(
                step.readable_html != "",
                _readable(step),
                rx.cond(
                    ((step.html != "") & ~step.fan_out & ~step.waiting_review) | step.showing_full,
                    output_view(step.html, "step-output"),
                ),
            ),
            rx.hstack(
                rx.cond(
                    step.fan_out,
                    rx.cond(
                        step.status == "succeeded",
                        _full_toggle(step.row_id, True, step.showing_full, "Show all answers"),
                    ),
                    _full_toggle(step.row_id, step.truncated, step.showing_full),
                ),
                output_actions(step.row_id, step.download, "answer"),
                spacing="3",
                align="center",
                flex_wrap="wrap",
            ),
            rx.cond(step.fan_out, _group(step)),
            spacing="2",
            width="100%",
        ),
        width="100%",
        id=f"step-{step.key}",
        class_name="step-card",
    )
