"""The project page's frame, header and Settings tab (its state is in pages/project.py, each other
tab in a module of its own): name, publish state and public address, settings fields, the model."""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.components.fields import field, form_error
from nyx_app.components.forms import published_badge
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.model_picker import provider_model_picker
from nyx_app.components.page import not_found_view, page_header, section_card
from nyx_app.components.publish import publish_button
from nyx_app.pages.project import ProjectState
from nyx_app.pages.project_discussions import discussions_tab
from nyx_app.pages.project_notes import notes_tab
from nyx_app.pages.project_reports import reports_tab
from nyx_app.pages.project_runs import runs_tab
from nyx_app.pages.project_workflows import workflows_tab


def _settings_tab() -> rx.Component:
    return section_card(
        "Project settings",
        rx.form(
            rx.vstack(
                field("Name", "name", "settings", default_value=ProjectState.name),
                field("Description", "description", "settings", multiline=True, default_value=ProjectState.description),
                field(
                    "GitHub repository URL",
                    "github_url",
                    "settings",
                    id="settings-github-url",
                    default_value=ProjectState.github_url,
                    placeholder="https://github.com/owner/repo",
                ),
                field(
                    "Scan path",
                    "github_path",
                    "settings",
                    id="settings-scan-path",
                    default_value=ProjectState.scan_path,
                    hint="The folder of the repository to analyse; empty or / means the repository root.",
                ),
                form_error("settings"),
                rx.button("Save settings", type="submit", id="save-settings"),
                width="100%",
                spacing="3",
            ),
            on_submit=ProjectState.save_settings,
            # A new key re-creates the uncontrolled inputs, so saved values (like "/" for the root) show.
            key=ProjectState.scan_path + ProjectState.name,
        ),
        max_width="720px",
    )


def _model_section() -> rx.Component:
    return section_card(
        "Model",
        rx.cond(
            ProjectState.model_providers.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(
                rx.text(
                    "The model this project's LLM work tries first; the workspace's fallback order follows. Current: ",
                    rx.code(ProjectState.llm_model, id="project-model"),
                    rx.cond(
                        ProjectState.model_automatic,
                        rx.text.span(" (automatic: the workspace's first model)", id="project-model-automatic"),
                    ),
                    size="2",
                ),
                provider_model_picker(
                    ProjectState.model_providers,
                    ProjectState.model_choices,
                    ProjectState.model_provider,
                    ProjectState.llm_model,
                    ProjectState.pick_model_provider,
                    ProjectState.pick_model,
                    id="project-model-picker",
                ),
                rx.cond(
                    ~ProjectState.model_automatic,
                    rx.button(
                        "Use the workspace's first model automatically",
                        size="1",
                        variant="ghost",
                        on_click=ProjectState.use_automatic_model,
                        id="project-model-automatic-button",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            # Without a provider no model can be called: do not show one as if it were in use.
            rx.callout(
                rx.text(
                    "No LLM provider is set up for this workspace yet, so this project cannot call a model. ",
                    rx.link("Add a key or a local endpoint in Providers", href=routes.PROVIDERS),
                    "; then choose the model here.",
                ),
                icon="info",
                color_scheme="gray",
                size="1",
                id="no-provider",
            ),
        ),
        max_width="720px",
        id="project-model-section",
    )


def _publish_control() -> rx.Component:
    toggle = ProjectState.toggle_published
    return rx.cond(
        ProjectState.may_publish,
        publish_button(ProjectState.published, toggle, toggle, size="2", id="toggle-published"),
    )


def _header() -> rx.Component:
    return rx.vstack(
        page_header(
            ProjectState.name,
            rx.link(
                rx.button(rx.icon("lightbulb", size=14), "Insights", variant="soft"),
                href="/projects/" + ProjectState.pid + "/insights",
                id="project-insights",
            ),
            rx.link(
                rx.button(rx.icon("git-branch", size=14), "Sources", variant="soft"),
                href="/projects/" + ProjectState.pid + "/sources",
                id="project-sources",
            ),
            _publish_control(),
            crumbs=[("Projects", routes.DASHBOARD), (ProjectState.name, "")],
            badges=[published_badge(ProjectState.published)],
            description=ProjectState.description,
            id="project-title",
        ),
        rx.cond(
            ProjectState.published,
            rx.callout(
                rx.text(
                    "Public page: ",
                    rx.link(ProjectState.public_address, href=ProjectState.public_path, id="public-link"),
                    " — shows the name, the description and the notes marked public.",
                    overflow_wrap="anywhere",
                ),
                icon="globe",
                color_scheme="green",
                size="1",
            ),
        ),
        rx.hstack(
            rx.text("Repository:", size="2", weight="medium"),
            rx.text(
                rx.cond(ProjectState.github_url != "", ProjectState.github_url, "not set"),
                size="2",
                overflow_wrap="anywhere",
            ),
            rx.text("Scan path:", size="2", weight="medium"),
            rx.code(ProjectState.scan_path, id="scan-path-display"),
            spacing="2",
            align="center",
            wrap="wrap",
            class_name="nyx-phone-hidden",  # in Settings; on a phone the tabs come first
        ),
        spacing="3",
        width="100%",
    )


def _not_found() -> rx.Component:
    return not_found_view("Project not found", "It does not exist, or it is not in your current workspace.")


@signed_in_page(section="projects")
def project_page() -> rx.Component:
    return rx.cond(
        ProjectState.found,
        rx.cond(
            ProjectState.loaded,
            rx.vstack(
                _header(),
                error_callout(ProjectState.error),
                rx.tabs.root(
                    rx.tabs.list(
                        rx.tabs.trigger("Notes", value="notes", id="tab-notes"),
                        rx.tabs.trigger("Workflows", value="workflows", id="tab-workflows"),
                        rx.tabs.trigger("Runs", value="runs", id="tab-runs"),
                        rx.tabs.trigger("Discussions", value="discussions", id="tab-discussions"),
                        rx.tabs.trigger("Reports", value="reports", id="tab-reports"),
                        rx.tabs.trigger("Settings", value="settings", id="tab-settings"),
                        # Six tabs scroll sideways inside the list on a phone, fading at the edge
                        # that has more (assets/nyx.css) so the hidden ones are seen to be there.
                        class_name="nyx-scroll-x nyx-tabs-scroll",
                    ),
                    rx.tabs.content(rx.box(notes_tab(), padding_top="1em"), value="notes"),
                    rx.tabs.content(rx.box(workflows_tab(), padding_top="1em"), value="workflows"),
                    rx.tabs.content(rx.box(runs_tab(), padding_top="1em"), value="runs"),
                    rx.tabs.content(rx.box(discussions_tab(ProjectState.pid), padding_top="1em"), value="discussions"),
                    rx.tabs.content(rx.box(reports_tab(), padding_top="1em"), value="reports"),
                    rx.tabs.content(
                        rx.vstack(_settings_tab(), _model_section(), padding_top="1em", spacing="4", width="100%"),
                        value="settings",
                    ),
                    value=ProjectState.tab,
                    on_change=ProjectState.set_tab,
                    width="100%",
                ),
                width="100%",
                spacing="4",
            ),
            rx.center(rx.spinner(), width="100%", padding="2em"),
        ),
        _not_found(),
    )
