"""SQL that keeps ``knowledge_item`` in step with the tables it indexes, used by migrations.

Each searchable table gets a trigger (``SyncSpec`` → ``sync_statements``) that, in the same
transaction as the change, copies the row's title, body and project into ``knowledge_item``
(``knowledge_upsert``), or deletes that copy when the row is deleted or stops qualifying (a
cascade from a deleted project included). Deleting the copy deletes its vectors by foreign key.

A copy that is new or whose text changed (its md5 ``content_hash``) queues the tenant's embedding
job (``knowledge_defer``): procrastinate's own ``procrastinate_defer_jobs_v1``, the function
``db/queue.py`` calls, with lock and queueing lock ``knowledge:<tenant>``: one job runs per tenant
at a time and at most one waits, so a burst of saves is one job (coalesced) and a save during a
run is picked up by the next. The job itself reads what is missing (jobs/knowledge.py).

Later kinds (policy passages, code patterns, image descriptions) add a ``SyncSpec`` in their own
migration: ``sync_statements(spec)`` up, ``drop_sync_statements(spec)`` down, ``backfill(spec)``
for rows that exist already. Expressions refer to the row as ``{r}``.
"""

from __future__ import annotations

from dataclasses import dataclass

# Also the models' column limits (models/knowledge.py imports them; db/ sits below models/).
TITLE_MAX = 300
BODY_MAX = 60_000  # characters of a source text kept for search (the embedder reads the start)
EMBED_TASK = "nyx.knowledge.embed"
EMBED_QUEUE = "knowledge"
LOCK_PREFIX = "knowledge:"


@dataclass(frozen=True, slots=True)
class SyncSpec:
    table: str
    kind: str
    title: str  # SQL expressions over the row {r}
    body: str
    project: str = "{r}.project_id"
    parent: str = "NULL::uuid"
    updated: str = "now()"
    when: str = "true"  # rows that are searchable (others have no copy)
    # Only updates of these columns can change the copy ("" = any update), and only when this holds
    # (OLD and NEW): keeps the trigger off hot paths such as a run's heartbeat.
    update_of: str = ""
    update_when: str = ""
    # Run at commit (a constraint trigger): the row's related rows written later in the same
    # transaction (a run's last step output) are there to be read.
    deferred: bool = False

    def fill(self, expression: str, row: str) -> str:
        return expression.replace("{r}", row)

    @property
    def function(self) -> str:
        return f"knowledge_sync_{self.table}"


UPSERT_FUNCTION = f"""
CREATE FUNCTION knowledge_upsert(
    p_tenant uuid, p_kind text, p_item uuid, p_parent uuid, p_project uuid,
    p_title text, p_body text, p_updated timestamptz
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO knowledge_item AS k (id, tenant_id, kind, item_id, parent_id, project_id, title, body,
                                     content_hash, item_updated_at, embed_error, embed_attempts)
    VALUES (gen_random_uuid(), p_tenant, p_kind, p_item, p_parent, p_project,
            left(coalesce(p_title, ''), {TITLE_MAX}), left(coalesce(p_body, ''), {BODY_MAX}),
            md5(left(coalesce(p_title, ''), {TITLE_MAX}) || chr(10) || left(coalesce(p_body, ''), {BODY_MAX})),
            coalesce(p_updated, now()), '', 0)
    ON CONFLICT (tenant_id, kind, item_id) DO UPDATE SET
        parent_id = EXCLUDED.parent_id, project_id = EXCLUDED.project_id, title = EXCLUDED.title,
        body = EXCLUDED.body, item_updated_at = EXCLUDED.item_updated_at,
        embed_error = CASE WHEN k.content_hash = EXCLUDED.content_hash THEN k.embed_error ELSE '' END,
        embed_attempts = CASE WHEN k.content_hash = EXCLUDED.content_hash THEN k.embed_attempts ELSE 0 END,
        content_hash = EXCLUDED.content_hash
    WHERE k.content_hash <> EXCLUDED.content_hash
       OR k.project_id IS DISTINCT FROM EXCLUDED.project_id
       OR k.parent_id IS DISTINCT FROM EXCLUDED.parent_id
$$
"""

DEFER_FUNCTION = f"""
CREATE FUNCTION knowledge_defer() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lk text := '{LOCK_PREFIX}' || NEW.tenant_id::text;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.content_hash = OLD.content_hash THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM procrastinate_jobs WHERE queueing_lock = lk AND status = 'todo') THEN
        RETURN NULL;
    END IF;
    BEGIN
        PERFORM procrastinate_defer_jobs_v1(ARRAY[ROW('{EMBED_QUEUE}', '{EMBED_TASK}', 0, lk, lk,
            jsonb_build_object('tenant_id', NEW.tenant_id::text), NULL)::procrastinate_job_to_defer_v1]);
    EXCEPTION WHEN unique_violation THEN
        NULL;  -- another transaction queued it a moment ago: one waiting job is enough
    END;
    RETURN NULL;
END
$$
"""

DEFER_TRIGGER = (
    "CREATE TRIGGER knowledge_item_defers_embedding AFTER INSERT OR UPDATE OF content_hash ON knowledge_item "
    "FOR EACH ROW EXECUTE FUNCTION knowledge_defer()"
)


def sync_statements(spec: SyncSpec) -> list[str]:
    new = spec.fill
    upsert = (
        f"PERFORM knowledge_upsert(NEW.tenant_id, '{spec.kind}', NEW.id, {new(spec.parent, 'NEW')}, "
        f"{new(spec.project, 'NEW')}, {new(spec.title, 'NEW')}, {new(spec.body, 'NEW')}, {new(spec.updated, 'NEW')});"
    )
    function = f"""
CREATE FUNCTION {spec.function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM knowledge_item WHERE tenant_id = OLD.tenant_id AND kind = '{spec.kind}' AND item_id = OLD.id;
        RETURN NULL;
    END IF;
    IF NOT ({new(spec.when, "NEW")}) THEN
        DELETE FROM knowledge_item WHERE tenant_id = NEW.tenant_id AND kind = '{spec.kind}' AND item_id = NEW.id;
        RETURN NULL;
    END IF;
    {upsert}
    RETURN NULL;
END
$$
"""
    update = f"UPDATE OF {spec.update_of}" if spec.update_of else "UPDATE"
    when = f"WHEN ({spec.update_when}) " if spec.update_when else ""
    execute = f"EXECUTE FUNCTION {spec.function}()"
    if spec.deferred:
        create, timing = "CREATE CONSTRAINT TRIGGER", f"ON {spec.table} DEFERRABLE INITIALLY DEFERRED"
    else:
        create, timing = "CREATE TRIGGER", f"ON {spec.table}"
    return [
        function,
        f"{create} {spec.table}_knowledge AFTER INSERT OR DELETE {timing} FOR EACH ROW {execute}",
        f"{create} {spec.table}_knowledge_update AFTER {update} {timing} FOR EACH ROW {when}{execute}",
    ]


def drop_sync_statements(spec: SyncSpec) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {spec.table}_knowledge ON {spec.table}",
        f"DROP TRIGGER IF EXISTS {spec.table}_knowledge_update ON {spec.table}",
        f"DROP FUNCTION IF EXISTS {spec.function}()",
    ]


def backfill(spec: SyncSpec) -> str:
    """Copies of the rows that exist now, tenant by tenant (FORCE binds the owner running
    migrations too); their embedding jobs are queued by the insert trigger."""
    r = spec.fill
    return f"""
DO $$
DECLARE t uuid;
BEGIN
    FOR t IN SELECT id FROM tenant LOOP
        PERFORM set_config('app.tenant_id', t::text, true);
        PERFORM knowledge_upsert(r.tenant_id, '{spec.kind}', r.id, {r(spec.parent, "r")}, {r(spec.project, "r")},
                                 {r(spec.title, "r")}, {r(spec.body, "r")}, {r(spec.updated, "r")})
        FROM {spec.table} r WHERE r.tenant_id = t AND ({r(spec.when, "r")});
    END LOOP;
    PERFORM set_config('app.tenant_id', '', true);
END
$$
"""


# The kinds indexed from the start (migration 0016).
SPECS = (
    SyncSpec("project_note", "note", title="{r}.title", body="{r}.content", updated="{r}.updated_at"),
    SyncSpec(
        "memory_entry", "memory", title="{r}.title",
        body="{r}.content || chr(10) || array_to_string({r}.tags, ' ')", updated="{r}.updated_at",
    ),
    SyncSpec(
        "workflow_insight", "insight", title="left(split_part({r}.text, chr(10), 1), 200)", body="{r}.text",
        parent="{r}.run_id", updated="{r}.updated_at",
    ),
    SyncSpec("report", "report", title="{r}.title", body="{r}.markdown", updated="{r}.updated_at"),
    # A finished, succeeded workflow run: its steps' outputs in order, under the run's title.
    SyncSpec(
        "run", "run_output", title="{r}.title",
        body=(
            "(SELECT string_agg(s.output, chr(10) || chr(10) ORDER BY s.started_at NULLS LAST, s.key, s.item_index) "
            "FROM step_run s WHERE s.tenant_id = {r}.tenant_id AND s.run_id = {r}.id AND s.status = 'succeeded' "
            "AND s.output <> '')"
        ),
        parent="{r}.id", updated="coalesce({r}.finished_at, {r}.updated_at)",
        when="{r}.status = 'succeeded' AND {r}.kind = 'workflow'",
        update_of="status", update_when="OLD.status IS DISTINCT FROM NEW.status", deferred=True,
    ),
)  # fmt: skip
