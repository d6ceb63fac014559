-- The app role (compose.yaml): login, not superuser, not BYPASSRLS, so row-level security binds it.
-- `python -m nyx_app.cli prepare` (the migrate service) grants it what it needs and refuses to go on
-- if it is superuser or BYPASSRLS. pgvector is not a trusted extension: the owner (superuser in this
-- image) creates it during the first migration.
CREATE ROLE nyx_app LOGIN PASSWORD 'change-me-app' NOSUPERUSER NOBYPASSRLS;
