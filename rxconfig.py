import reflex as rx

from nyx_app.settings import get_settings

settings = get_settings()
# Redis (REFLEX_REDIS_URL or NYX_REDIS_URL): browser state lives there, so any app process behind a
# load balancer serves any browser (deploy/README.md). Unset: in the process, as ./scripts/run needs.
# Reflex's per-browser lock expires after redis_lock_expiration (10 s by default): handlers stay
# short, and long work is a job or a background event that awaits outside `async with self`.
# Behind the balancer the pages open their websocket on the public origin (the balancer), not on the
# process's own port that Reflex would build into them.
scale_out = {"redis_url": settings.redis_url, "api_url": settings.public_origin} if settings.redis_url else {}

config = rx.Config(
    app_name="nyx_app",
    # The database is ours (SQLModel + Alembic + RLS), not Reflex's rx.Model machinery:
    # no db_url here, so Reflex never creates tables or runs its own migrations.
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Only the app's own origin (NYX_PUBLIC_URL) may open the websocket or read API answers with
    # the user's cookie; Reflex's default "*" reflected any origin with credentials.
    cors_allowed_origins=settings.allowed_origins,
    plugins=[
        # appearance "inherit": the light/dark toggle (components/layout.py) decides, kept per browser.
        # panel_background "solid": Radix's default "translucent" gives every card a
        # backdrop-filter: blur(64px). Over our plain background it shows nothing, but each card
        # becomes its own blurred render surface: a browser without a GPU spent ~52 ms compositing
        # every frame of a 40-step run page, ~3 ms with solid panels (scripts/bench/live.py).
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="inherit", accent_color="indigo", radius="medium", panel_background="solid")
        ),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
    **scale_out,
)
