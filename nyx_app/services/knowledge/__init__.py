"""Knowledge: one retrieval service for every kind of text a team writes.

How to use it (the API later features build on):

- **Indexing is automatic.** A row of a searchable table is copied into ``knowledge_item`` by a
  trigger in the transaction that writes it, and embedded by a background job
  (db/knowledge_sql.py, jobs/tasks.py). A new kind (policy passages, code patterns, image
  descriptions) adds a ``KnowledgeKind`` value and a ``SyncSpec`` in its migration; nothing else.
- **Search**: ``search.search(ctx, SearchRequest(query, kinds=..., project_id=..., limit=...))``
  returns ``SearchResult`` with ``hits`` (kind, item id, parent id, title, project, date, score,
  why it matched: words / meaning / both, and passages marked with fresh markers) and a ``note``
  when it had to fall back to words only. Hybrid: vector top-50 + full-text top-50 fused by
  reciprocal rank in one SQL statement. It opens its own transactions (like ``llm.call.complete``):
  call it outside any transaction.
- **Retrieval for prompts** (``{{insights}}``, ``{{memory}}``, ``{{policies}}``,
  ``{{code_patterns}}``, note enrichment): ``search.retrieve(ctx, text, kinds=[...],
  project_id=..., limit=...)`` gives the same hits with their full stored text (``body``) for a
  prompt, best first; cite them by ``kind`` + ``item_id``.
- **Model and status**: ``embedding_model.current(session, ctx)``, ``switch(session, ctx, ref)``,
  ``status.progress(session, ctx)`` ("1,240 of 3,000 items embedded"), ``status.retry_failed``.
"""
