"""A discussion's messages as the page shows them: the question, each persona's answer (its
status while it streams, model, tokens, cost, and which provider failed before another answered),
the best approach and the plan with its note. Stateless: the page passes the cards and a handler.

Model text is hostile: answers are rendered by the app's one Markdown renderer (raw HTML off,
sanitised) and shown through ``markdown_view``; the user's own question stays plain text.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any

import reflex as rx

from nyx_app import routes
from nyx_app.api.portraits import portrait_url
from nyx_app.components.markdown import markdown_view
from nyx_app.components.persona_card import portrait
from nyx_app.integrations import markdown
from nyx_app.services.discussions.views import MessageView, SpeakerView

STATUS_WORDS = {
    "queued": "waiting",
    "running": "answering…",
    "succeeded": "",
    "failed": "failed",
    "skipped": "skipped",
    "cancelled": "stopped",
}


@dataclasses.dataclass
class SpeakerChip:
    name: str
    role: str
    portrait_path: str
    avatar: str


@dataclasses.dataclass
class MessageCard:
    id: str
    kind: str
    round: int
    speaker: str
    role: str
    portrait_path: str
    avatar: str
    text: str
    html: str  # an answer, rendered by the one Markdown renderer ("" for the question)
    status: str
    status_words: str
    meta: str  # model · tokens · cost
    fallback: str  # which provider failed, which answered
    error: str
    note_url: str


def speaker_chip(s: SpeakerView) -> SpeakerChip:
    path = portrait_url(s.persona_id, s.portrait_tag) if s.portrait_tag else ""
    return SpeakerChip(s.name, s.role, path, s.avatar)


def message_card(m: MessageView, project_id: str) -> MessageCard:
    speaker = speaker_chip(m.speaker) if m.speaker else SpeakerChip("", "", "", "")
    finished = m.status in ("succeeded", "failed")
    meta = f"{m.model} · {m.tokens:,} tokens · ${m.cost_usd:.4f}" if finished and m.model else m.model
    fallback = ""
    if m.failed_attempts:
        failed = "; ".join(m.failed_attempts)
        fallback = f"Failed: {failed}." + (f" Answered by {m.model}." if m.status == "succeeded" else "")
    return MessageCard(
        id=m.id,
        kind=m.kind,
        round=m.round,
        speaker=speaker.name,
        role=speaker.role,
        portrait_path=speaker.portrait_path,
        avatar=speaker.avatar,
        text=m.text,
        html=_html(m.text) if m.kind != "question" else "",
        status=m.status,
        status_words=STATUS_WORDS.get(m.status, m.status),
        meta=meta,
        fallback=fallback,
        error=m.error if m.status == "failed" else "",
        note_url=routes.note_url(project_id, m.note_id) if m.note_id else "",
    )


@lru_cache(maxsize=1024)
def _html(text: str) -> str:
    # Cached: a streaming discussion is re-read several times a second, most answers unchanged.
    return markdown.render(text) if text else ""


def _text(text: rx.Var[str], id_class: str) -> rx.Component:
    """The user's question: plain text, as typed."""
    return rx.text(text, white_space="pre-wrap", size="2", class_name=id_class, width="100%")


def _question(m: MessageCard) -> rx.Component:
    return rx.hstack(
        rx.icon("circle-help", size=18, color="var(--accent-9)"),
        rx.vstack(
            rx.text(rx.cond(m.round == 1, "Question", f"Follow-up (round {m.round})"), size="1", weight="bold"),
            _text(m.text, "question-text"),
            spacing="1",
            width="100%",
        ),
        padding="0.8em",
        border_radius="var(--radius-3)",
        background="var(--accent-a2)",
        width="100%",
        class_name="message-question",
    )


def _status(m: MessageCard) -> rx.Component:
    return rx.cond(
        m.status_words != "",
        rx.badge(
            rx.cond(m.status == "running", rx.spinner(size="1"), rx.fragment()),
            m.status_words,
            color_scheme=rx.match(m.status, ("failed", "red"), ("running", "blue"), "gray"),
            class_name="message-status",
        ),
    )


def _answer(m: MessageCard, on_save_note: Any) -> rx.Component:
    title = rx.match(
        m.kind,
        ("synthesis", rx.hstack(rx.icon("sparkles", size=18), rx.heading("Best approach", size="3"), align="center")),
        (
            "plan",
            rx.hstack(rx.icon("list-checks", size=18), rx.heading("Implementation plan", size="3"), align="center"),
        ),
        rx.hstack(
            portrait(m.portrait_path, m.avatar, m.speaker, size="36px"),
            rx.vstack(
                rx.text(m.speaker, weight="bold", size="2", class_name="message-speaker"),
                rx.text(m.role, size="1", color_scheme="gray"),
                spacing="0",
            ),
            align="center",
            spacing="2",
        ),
    )
    return rx.card(
        rx.vstack(
            rx.hstack(title, rx.spacer(), _status(m), width="100%", align="center"),
            rx.cond(m.html != "", markdown_view(m.html, class_name="message-text")),
            rx.cond(m.error != "", rx.text(m.error, size="1", color_scheme="red", class_name="message-error")),
            rx.cond(
                m.fallback != "",
                rx.callout(
                    m.fallback, icon="triangle-alert", color_scheme="amber", size="1", class_name="message-fallback"
                ),
            ),
            rx.hstack(
                rx.text(m.meta, size="1", color_scheme="gray", class_name="message-meta"),
                rx.spacer(),
                rx.cond(
                    m.note_url != "",
                    rx.link(
                        rx.hstack(rx.icon("notebook-pen", size=14), rx.text("Open the saved note"), align="center"),
                        href=m.note_url,
                        size="2",
                        id="plan-note-link",
                    ),
                    rx.cond(
                        (m.kind == "plan") & (m.status == "succeeded"),
                        rx.button("Save as note", size="1", variant="soft", on_click=on_save_note(m.id)),
                    ),
                ),
                width="100%",
                align="center",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name=f"message-{m.kind}",
        data_status=m.status,
        data_speaker=m.speaker,
    )


def message(m: MessageCard, *, on_save_note: Any) -> rx.Component:
    """``on_save_note(message_id)``: save a finished plan as a note by hand."""
    return rx.cond(m.kind == "question", _question(m), _answer(m, on_save_note))
