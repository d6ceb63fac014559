import reflex as rx

config = rx.Config(
    app_name="nyx_app",
    # The database is ours (SQLModel + Alembic + RLS), not Reflex's rx.Model machinery:
    # no db_url here, so Reflex never creates tables or runs its own migrations.
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(theme=rx.theme(appearance="light", accent_color="indigo", radius="medium")),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
