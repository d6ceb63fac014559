"""One step of the workflow editor as a card: key, name, kind, the problems the services found
for it, prompt (with the variables it may use), system prompt, model, numbers, dependencies,
fan-out, output format and images. Every control writes through ``EditorState``."""

from __future__ import annotations

import reflex as rx

from nyx_app.components.model_picker import provider_model_picker
from nyx_app.pages.workflow_editor_state import EditorState
from nyx_app.pages.workflow_form import NO_FAN_OUT, StepForm

VARIABLES_HINT = (
    "Variables: {{steps.KEY.output}} (a step's answer), {{steps.KEY.items}} (the items of a JSON list step), "
    "{{project.name}}, {{notes}}; from the workspace, most relevant first and cited by [ref]: {{insights}}, "
    "{{memory}}, {{policies}}, {{code_patterns}}, {{patterns}}; in a step that runs for each item also {{item}} "
    "and {{item_index}}. "
    "A prompt that names no {{steps.…}} receives the outputs of the steps it depends on automatically."
)


NAMEABLE = ("SelectTrigger", "TextArea", "TextFieldRoot", "Input", "Textarea", "DebounceInput")


def _name(control: rx.Component, text: str | rx.Var[str]) -> rx.Component:
    """Give the field inside ``control`` (a select's trigger, a text area, an input) the label's
    words as its accessible name: the step card shows its labels as text above, not <label for>
    (one card per step, so ids would repeat)."""
    stack = [control]
    while stack:
        part = stack.pop(0)
        if type(part).__name__ in NAMEABLE and "aria-label" not in part.custom_attrs:
            part.custom_attrs["aria-label"] = text
            return control
        stack.extend(getattr(part, "children", []))
    return control


def label(text: str | rx.Var[str], control: rx.Component, width: str = "100%") -> rx.Component:
    return rx.vstack(rx.text(text, size="1", weight="medium"), _name(control, text), spacing="1", width=width)


def _select(value: rx.Var[str], options: list[tuple[str, str]], on_change, class_name: str) -> rx.Component:  # type: ignore[no-untyped-def]
    return rx.select.root(
        rx.select.trigger(class_name=class_name, aria_label=class_name.removeprefix("step-").replace("-", " ")),
        rx.select.content(*[rx.select.item(label, value=v) for v, label in options]),
        value=value,
        on_change=on_change,
    )


def _problems(step: StepForm) -> rx.Component:
    return rx.cond(
        step.problems.length() > 0,  # type: ignore[attr-defined]
        rx.callout(
            rx.vstack(rx.foreach(step.problems, lambda p: rx.text(p, size="1")), spacing="1"),
            icon="triangle-alert",
            color_scheme="red",
            size="1",
            class_name="step-problems",
            width="100%",
        ),
    )


def _dependency(step: StepForm, index: rx.Var[int], key: rx.Var[str]) -> rx.Component:
    return rx.cond(
        key != step.key,
        rx.text(
            rx.flex(
                rx.checkbox(
                    checked=step.depends_on.contains(key),  # type: ignore[attr-defined]
                    on_change=lambda checked: EditorState.toggle_dep(index, key, checked),
                    class_name="dep-checkbox",
                    custom_attrs={"data-dep": key, "aria-label": rx.Var.create("Depends on ") + key},
                ),
                key,
                spacing="1",
                align="center",
            ),
            as_="label",
            size="2",
        ),
    )


def _model(step: StepForm, index: rx.Var[int]) -> rx.Component:
    return label(
        "Model",
        rx.vstack(
            provider_model_picker(
                EditorState.model_providers,
                EditorState.model_choices,
                step.provider,
                step.model,
                lambda p: EditorState.pick_provider(index, p),  # type: ignore[arg-type]
                lambda m: EditorState.pick_model(index, m),  # type: ignore[arg-type]
                id=f"step-model-{index}",
            ),
            rx.cond(
                step.model == "",
                rx.text("The project's model (", EditorState.project_model, ")", size="1", color_scheme="gray"),
                rx.button(
                    "Use the project's model", size="1", variant="ghost", on_click=EditorState.use_project_model(index)
                ),
            ),
            spacing="1",
        ),
    )


def _persona(step: StepForm, index: rx.Var[int]) -> rx.Component:
    """The persona a step speaks as: its system prompt leads the step's, and the step counts as a use."""
    return label(
        "Persona",
        rx.hstack(
            rx.cond(
                step.persona != "",
                rx.badge(
                    EditorState.persona_names.get(step.persona, "a deleted persona"),  # type: ignore[attr-defined]
                    variant="soft",
                    color_scheme="violet",
                    class_name="step-persona",
                ),
                rx.text("None", size="2", color_scheme="gray", class_name="step-persona"),
            ),
            rx.button(
                "Choose…",
                size="1",
                variant="soft",
                on_click=EditorState.open_persona_picker(index),
                class_name="choose-persona",
            ),
            rx.cond(
                step.persona != "",
                rx.button("Clear", size="1", variant="ghost", on_click=EditorState.clear_persona(index)),
            ),
            spacing="2",
            align="center",
            flex_wrap="wrap",
        ),
    )


def _llm_settings(step: StepForm, index: rx.Var[int]) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.button(
                rx.cond(step.show_system, "Hide system prompt", "System prompt"),
                size="1",
                variant="ghost",
                on_click=EditorState.toggle_system(index),
                class_name="toggle-system",
            ),
            rx.cond(step.system != "", rx.text("(set)", size="1", color_scheme="gray")),
            align="center",
        ),
        rx.cond(
            step.show_system,
            rx.text_area(
                value=step.system,
                on_change=lambda v: EditorState.set_field(index, "system", v),
                rows="4",
                width="100%",
                class_name="step-system",
            ),
        ),
        _model(step, index),
        _persona(step, index),
        rx.hstack(
            label(
                "Temperature",
                rx.input(
                    value=step.temperature,
                    on_change=lambda v: EditorState.set_field(index, "temperature", v),
                    placeholder="default",
                    width="8em",
                    class_name="step-temperature",
                ),
                "auto",
            ),
            label(
                "Max tokens",
                rx.input(
                    value=step.max_tokens,
                    on_change=lambda v: EditorState.set_field(index, "max_tokens", v),
                    placeholder="default",
                    width="8em",
                    class_name="step-max-tokens",
                ),
                "auto",
            ),
            label(
                "Output",
                _select(
                    step.output,
                    [("text", "Text"), ("json_list", "JSON list"), ("json_object", "JSON object")],
                    lambda v: EditorState.set_field(index, "output", v),
                    "step-output-format",
                ),
                "auto",
            ),
            label(
                "For each item of",
                rx.select.root(
                    rx.select.trigger(class_name="step-for-each"),
                    rx.select.content(
                        rx.select.item("— none —", value=NO_FAN_OUT),
                        rx.foreach(
                            EditorState.list_keys,
                            lambda k: rx.cond(k != step.key, rx.select.item(k, value=k)),
                        ),
                    ),
                    value=step.for_each,
                    on_change=lambda v: EditorState.set_field(index, "for_each", v),
                ),
                "auto",
            ),
            spacing="3",
            flex_wrap="wrap",
            width="100%",
        ),
        rx.cond(
            step.output != "text",
            label(
                "Output schema (JSON Schema, optional: an answer that does not fit is rejected)",
                rx.text_area(
                    value=step.output_schema,
                    on_change=lambda v: EditorState.set_field(index, "output_schema", v),
                    placeholder='{"type": "object", "required": ["title"]}',
                    rows="5",
                    width="100%",
                    class_name="step-output-schema",
                ),
            ),
        ),
        rx.text(
            rx.flex(
                rx.checkbox(
                    checked=step.images,
                    on_change=lambda v: EditorState.set_images(index, v),
                    class_name="step-images",
                    aria_label="Send the project's note images",
                ),
                "Send the project's note images (vision models see them; others get their descriptions)",
                spacing="2",
                align="center",
            ),
            as_="label",
            size="2",
        ),
        spacing="2",
        width="100%",
    )


def step_card(step: StepForm, index: rx.Var[int]) -> rx.Component:
    last = EditorState.steps.length() - 1  # type: ignore[attr-defined]
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge("Step ", index + 1, variant="soft"),
                rx.input(
                    value=step.key,
                    on_change=lambda v: EditorState.set_field(index, "key", v),
                    placeholder="key",
                    width="10em",
                    class_name="step-key",
                    aria_label="Key",
                ),
                rx.input(
                    value=step.name,
                    on_change=lambda v: EditorState.set_field(index, "name", v),
                    placeholder="Name",
                    flex="1",
                    min_width="10em",
                    class_name="step-name",
                    aria_label="Name",
                ),
                _select(
                    step.kind,
                    [("llm", "LLM call"), ("review", "Review by a person")],
                    lambda v: EditorState.set_field(index, "kind", v),
                    "step-kind",
                ),
                rx.hstack(
                    rx.icon_button(
                        "arrow-up",
                        size="1",
                        variant="soft",
                        disabled=index == 0,
                        on_click=EditorState.move_step(index, -1),
                        class_name="move-up",
                        aria_label="Move up",
                    ),
                    rx.icon_button(
                        "arrow-down",
                        size="1",
                        variant="soft",
                        disabled=index == last,
                        on_click=EditorState.move_step(index, 1),
                        class_name="move-down",
                        aria_label="Move down",
                    ),
                    rx.icon_button(
                        "trash-2",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=EditorState.remove_step(index),
                        class_name="remove-step",
                        aria_label="Remove step",
                    ),
                    spacing="1",
                ),
                spacing="2",
                align="center",
                flex_wrap="wrap",
                width="100%",
            ),
            _problems(step),
            label(
                rx.cond(step.kind == "review", "Instructions for the reviewer", "Prompt"),  # type: ignore[arg-type]
                rx.text_area(
                    value=step.prompt,
                    on_change=lambda v: EditorState.set_field(index, "prompt", v),
                    rows="8",
                    width="100%",
                    class_name="step-prompt",
                ),
            ),
            rx.text(VARIABLES_HINT, size="1", color_scheme="gray"),
            label(
                "Depends on",
                rx.hstack(
                    rx.foreach(EditorState.step_keys, lambda k: _dependency(step, index, k)),
                    spacing="3",
                    flex_wrap="wrap",
                ),
            ),
            rx.cond(step.kind != "review", _llm_settings(step, index)),
            spacing="3",
            width="100%",
        ),
        width="100%",
        class_name="step-card",
        custom_attrs={"data-key": step.key},
    )
