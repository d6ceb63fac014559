"""What the memory hub shows (its state and actions are in pages/memory.py)."""

from __future__ import annotations

import reflex as rx

from nyx_app.components.confirm import confirm_dialog
from nyx_app.components.fields import field, form_error
from nyx_app.components.forms import save_cancel
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.markdown import markdown_view
from nyx_app.components.page import empty_state, page_header, section_card
from nyx_app.pages.memory import NO_PROJECT, EntryView, MemoryState


def _project_select(default: rx.Var[str] | str, id: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder="No project", id=id, width="100%"),
        rx.select.content(
            rx.select.item("No project", value=NO_PROJECT),
            rx.foreach(MemoryState.project_options, lambda p: rx.select.item(p.name, value=p.id)),
        ),
        name="project_id",
        default_value=default,
    )


def _entry_form(form: str, entry: EntryView | None = None) -> list[rx.Component]:
    def default(value: rx.Var[str] | None) -> dict:
        return {"default_value": value} if value is not None else {}

    project = rx.cond(entry.project_id != "", entry.project_id, NO_PROJECT) if entry is not None else NO_PROJECT
    return [
        field(
            "Title",
            "title",
            form,
            **default(entry.title if entry is not None else None),
            # "c" (assets/nyx.js) starts a new entry here.
            **({"data_shortcut": "create"} if entry is None else {}),
        ),
        field(
            "Content",
            "content",
            form,
            multiline=True,
            rows="4",
            placeholder="What should the team remember? Markdown works.",
            **default(entry.content if entry is not None else None),
        ),
        rx.box(
            field(
                "Tags",
                "tags",
                form,
                placeholder="comma separated, e.g. ops, deploy",
                **default(entry.tags_text if entry is not None else None),
            ),
            field(
                "Project", "project_id", form, control=_project_select(project, f"{form}-project"), id=f"{form}-project"
            ),
            class_name="nyx-row",
        ),
        form_error(form),
    ]


def _chip(tag: rx.Var[str], label: rx.Var | str, class_name: str) -> rx.Component:
    return rx.badge(
        label,
        variant=rx.cond(MemoryState.tag == tag, "solid", "soft"),
        size="2",
        class_name=f"nyx-chip {class_name}",
        role="button",
        tab_index=0,
        data_tag=tag,
        aria_pressed=rx.cond(MemoryState.tag == tag, "true", "false"),
        on_click=MemoryState.filter_tag(tag),
    )


def _entry_card(e: EntryView) -> rx.Component:
    view = rx.vstack(
        rx.flex(
            markdown_view(
                e.title_html, class_name="memory-title", style={"font_weight": "600", "font_size": "var(--font-size-4)"}
            ),
            rx.hstack(
                rx.button(
                    "Edit", size="1", variant="soft", on_click=MemoryState.start_edit(e.id), class_name="edit-memory"
                ),
                rx.cond(
                    e.can_delete,
                    confirm_dialog(
                        "Delete this memory?",
                        "The entry goes to the workspace's trash for 30 days; Undo puts it back.",
                        MemoryState.delete(e.id),
                        trigger_class="delete-memory",
                        confirm_class="confirm-delete-memory",
                    ),
                ),
                spacing="2",
                flex_shrink="0",
            ),
            justify="between",
            gap="3",
            width="100%",
        ),
        rx.text(e.byline, size="1", color_scheme="gray", class_name="memory-byline"),
        rx.cond(
            e.snippet_html != "",
            rx.vstack(
                markdown_view(e.snippet_html, class_name="memory-snippet", style={"color": "var(--gray-11)"}),
                rx.el.details(
                    rx.el.summary(rx.text("Show the whole entry", size="1", as_="span"), cursor="pointer"),
                    markdown_view(e.html, class_name="memory-content", padding_top="0.5em"),
                    open=MemoryState.focus_id == e.id,
                ),
                width="100%",
                spacing="2",
            ),
            markdown_view(e.html, class_name="memory-content"),
        ),
        rx.hstack(
            rx.foreach(e.tags, lambda t: _chip(t, t, "entry-tag")),
            rx.cond(
                e.project_name != "",
                rx.badge(rx.icon("folder", size=12), e.project_name, color_scheme="green", variant="outline"),
            ),
            wrap="wrap",
            spacing="2",
        ),
        width="100%",
        spacing="2",
    )
    editor = rx.form(
        rx.vstack(
            *_entry_form("edit-memory", e), save_cancel("Save", "save-memory", MemoryState.cancel_edit), width="100%"
        ),
        on_submit=MemoryState.save_edit,
    )
    return rx.card(
        rx.cond(MemoryState.editing_id == e.id, editor, view),
        width="100%",
        class_name=rx.cond(MemoryState.focus_id == e.id, "memory-card memory-focused", "memory-card"),
        id="memory-" + e.id,
    )


def _search() -> rx.Component:
    return rx.vstack(
        rx.form(
            rx.box(
                field(
                    "Search", "query", "search", id="memory-query", placeholder='Words, "a phrase", -without, or a tag'
                ),
                rx.box(
                    rx.button(rx.icon("search", size=16), "Search", type="submit", id="memory-search"),
                    class_name="nyx-row-fixed",
                ),
                class_name="nyx-row",
            ),
            form_error("search"),
            on_submit=MemoryState.search,
            width="100%",
        ),
        rx.cond(
            MemoryState.tags.length() > 0,  # type: ignore[attr-defined]
            rx.hstack(
                rx.text("Tags:", size="2", color_scheme="gray"),
                rx.foreach(
                    MemoryState.tags,
                    lambda t: _chip(t.tag, rx.fragment(t.tag, " ", rx.text.span(t.count, opacity="0.7")), "tag-chip"),
                ),
                wrap="wrap",
                spacing="2",
                align="center",
                id="memory-tags",
            ),
        ),
        rx.flex(
            rx.text(MemoryState.count_label, size="2", color_scheme="gray", id="memory-count"),
            rx.cond(
                (MemoryState.query != "") | (MemoryState.tag != ""),
                rx.button(
                    "Clear search",
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    on_click=MemoryState.clear_filters,
                    id="clear-search",
                ),
            ),
            gap="3",
            align="center",
            wrap="wrap",
        ),
        width="100%",
        spacing="3",
    )


def _results() -> rx.Component:
    return rx.cond(
        MemoryState.entries.length() > 0,  # type: ignore[attr-defined]
        rx.vstack(
            rx.foreach(MemoryState.entries, _entry_card),
            rx.cond(
                MemoryState.has_more,
                rx.center(
                    rx.button("Show more", variant="soft", on_click=MemoryState.more, id="memory-more"), width="100%"
                ),
            ),
            width="100%",
            spacing="3",
        ),
        rx.cond(
            (MemoryState.query != "") | (MemoryState.tag != ""),
            empty_state(
                "search-x", "Nothing matches", "Try other words, fewer words, or clear the search.", id="no-memories"
            ),
            empty_state(
                "brain",
                "No memories yet",
                "The memory hub keeps what the team learned — decisions, pitfalls, how-tos — across projects. "
                "Add the first one above; tag it so others find it.",
                id="no-memories",
            ),
        ),
    )


@signed_in_page(section="memory")
def memory_page() -> rx.Component:
    return rx.vstack(
        page_header("Memory Hub", description="What the team learned, searchable by words and tags."),
        error_callout(MemoryState.error),
        # On a phone the form opens from this button, so the results are not pushed off the screen.
        rx.button(
            rx.icon(rx.cond(MemoryState.form_open, "x", "plus"), size=16),  # type: ignore[arg-type]
            rx.cond(MemoryState.form_open, "Close the form", "New memory entry"),
            variant="soft",
            on_click=MemoryState.toggle_form,
            class_name="nyx-phone-only",
            aria_expanded=rx.cond(MemoryState.form_open, "true", "false"),
            aria_controls="new-memory-card",
            id="toggle-memory-form",
        ),
        rx.box(
            section_card(
                "Add a memory",
                rx.form(
                    rx.vstack(
                        *_entry_form("new-memory"),
                        rx.button(rx.icon("plus", size=16), "Add memory", type="submit", id="add-memory"),
                        width="100%",
                    ),
                    on_submit=MemoryState.create,
                    key=MemoryState.created,
                ),
            ),
            class_name=rx.cond(MemoryState.form_open, "", "nyx-phone-collapsed"),
            width="100%",
            id="new-memory-card",
        ),
        _search(),
        rx.cond(MemoryState.loaded, _results(), rx.center(rx.spinner(), width="100%", padding="2em")),
        width="100%",
        spacing="4",
    )
