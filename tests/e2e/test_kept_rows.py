"""The run page's step rows keep their identity in the browser where an update did not change them
(``pages/runs/kept.py``), which is what lets the memoised step and item cards skip drawing: the
comparison itself, run in Chromium on updates shaped like the run page's."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser

from nyx_app.pages.runs.kept import _KEEP_SAME

pytestmark = pytest.mark.e2e

BEFORE = [
    {"key": "a", "status": "succeeded", "item_rows": [], "html": "<p>A</p>"},
    {"key": "b", "status": "running", "item_rows": [{"n": 1, "status": "running"}, {"n": 2, "status": "queued"}]},
    {"key": "c", "status": "queued", "item_rows": [], "html": ""},
]

CHECK = """([before, after, longer]) => {
  %s
  const first = nyxKeepSame(null, before);
  const same = nyxKeepSame(first, JSON.parse(JSON.stringify(before)));
  const next = nyxKeepSame(same, after);
  const grown = nyxKeepSame(next, longer);
  return {
    firstIsTheValue: first === before,
    unchangedUpdateIsTheOldValue: same === first,
    changedListIsNew: next !== same,
    untouchedStepKept: next[0] === same[0] && next[2] === same[2],
    changedStepNew: next[1] !== same[1],
    untouchedItemKept: next[1].item_rows[1] === same[1].item_rows[1],
    changedItemNew: next[1].item_rows[0] !== same[1].item_rows[0] && next[1].item_rows[0].status === 'succeeded',
    grownKeepsTheRest: grown !== next && grown.length === 4 && grown[1] === next[1] && grown[3].key === 'd',
    valuesAsSent: JSON.stringify(grown) === JSON.stringify(longer),
  };
}"""


def test_unchanged_rows_keep_their_identity_and_changed_ones_are_new(browser: Browser) -> None:
    after = json.loads(json.dumps(BEFORE))
    after[1]["item_rows"][0]["status"] = "succeeded"
    longer = [*json.loads(json.dumps(after)), {"key": "d", "status": "queued", "item_rows": []}]
    page = browser.new_page()
    try:
        result = page.evaluate(CHECK % _KEEP_SAME, [BEFORE, after, longer])
    finally:
        page.close()
    assert result == dict.fromkeys(result, True) and len(result) == 9
