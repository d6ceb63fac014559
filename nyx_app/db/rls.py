"""SQL for row-level security, used by migrations so every tenant table is protected alike."""

from __future__ import annotations

CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"
CURRENT_USER = "nullif(current_setting('app.user_id', true), '')::uuid"


def enable_tenant_rls(table: str) -> list[str]:
    """Statements that make ``table`` visible and writable only for the current tenant.

    ``true`` makes an unset setting NULL instead of an error; ``nullif`` turns the empty string a
    session reads once a setting was used into NULL too. NULL never equals a tenant id, so no
    tenant means no rows. The same expression as WITH CHECK refuses rows for another tenant.
    """
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING (tenant_id = {CURRENT_TENANT}) WITH CHECK (tenant_id = {CURRENT_TENANT})",
    ]


def disable_tenant_rls(table: str) -> list[str]:
    return [
        f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]


# The public read path (services/public.py) sets only this, never a tenant: the policies below
# then admit exactly one published project, its notes marked public and their images.
PUBLIC_PROJECT = "nullif(current_setting('app.public_project_id', true), '')::uuid"

# SELECT-only policies, so they grant no write. Permissive policies are ORed with
# tenant_isolation; a transaction that never sets app.public_project_id compares against NULL
# and gains nothing from them.
PUBLIC_READ_POLICIES: dict[str, str] = {
    "project": f"published AND id = {PUBLIC_PROJECT}",
    "project_note": (
        f"public AND project_id = {PUBLIC_PROJECT} AND EXISTS (SELECT 1 FROM project p "
        "WHERE p.tenant_id = project_note.tenant_id AND p.id = project_note.project_id AND p.published)"
    ),
    # The subquery reads project_note under its own policies: only public notes of the
    # published project are there to be found.
    "note_image": (
        "EXISTS (SELECT 1 FROM project_note n WHERE n.tenant_id = note_image.tenant_id "
        f"AND n.id = note_image.note_id AND n.public AND n.project_id = {PUBLIC_PROJECT})"
    ),
}


def enable_public_read() -> list[str]:
    return [
        f"CREATE POLICY public_read ON {table} FOR SELECT USING ({using})"
        for table, using in PUBLIC_READ_POLICIES.items()
    ]


def disable_public_read() -> list[str]:
    return [f"DROP POLICY IF EXISTS public_read ON {table}" for table in PUBLIC_READ_POLICIES]
