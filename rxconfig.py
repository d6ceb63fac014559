import reflex as rx

from nyx_app.settings import get_settings

config = rx.Config(
    app_name="nyx_app",
    # The database is ours (SQLModel + Alembic + RLS), not Reflex's rx.Model machinery:
    # no db_url here, so Reflex never creates tables or runs its own migrations.
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Only the app's own origin (NYX_PUBLIC_URL) may open the websocket or read API answers with
    # the user's cookie; Reflex's default "*" reflected any origin with credentials.
    cors_allowed_origins=get_settings().allowed_origins,
    plugins=[
        # appearance "inherit": the light/dark toggle (components/layout.py) decides, kept per browser.
        rx.plugins.RadixThemesPlugin(theme=rx.theme(appearance="inherit", accent_color="indigo", radius="medium")),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
