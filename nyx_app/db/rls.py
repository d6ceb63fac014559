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
