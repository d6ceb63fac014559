"""The component kit every page is built from (each module says when to use it):

- ``layout``: ``signed_in_page(section=...)`` / ``open_page`` — the frame, navigation, phone menu,
  theme toggle; ``error_callout`` for page-level refusals.
- ``page``: ``page_header``, ``breadcrumbs``, ``section_card``, ``empty_state``, ``not_found_view``.
- ``fields``: ``field`` (label, control, hint, inline error), ``form_error``, ``page_error`` —
  paired with ``state.session.user_action(form=...)`` and services raising ``InvalidFields``.
- ``confirm``: ``confirm_dialog`` — the one dialog for anything destructive (typed-name option).
- ``publish``: ``publish_button`` — publishing explained before it happens.
- ``markdown``: ``markdown_view`` — the only way HTML reaches the page.
- ``forms``, ``post_form``, ``model_picker``, ``spend_table``, ``image_gallery``: smaller widgets.

Toasts after an action: ``state.toasts.done / failed / info``.
"""
