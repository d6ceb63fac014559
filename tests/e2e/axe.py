"""axe-core in the browser tests: inject the checked bundle (scripts/lib.sh installs it) into a page
of a context opened with ``bypass_csp=True`` (the app's policy refuses injected scripts), run it,
and keep the violations a user would be hurt by (serious and critical)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Page

from nyx_app.settings import ROOT_DIR

AXE_JS = ROOT_DIR / ".tools" / "axe" / "axe.min.js"
BLOCKING = ("serious", "critical")

_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 4).map((n) => n.target.join(' ')), count: v.nodes.length,
  }));
}"""


@dataclass(frozen=True)
class Violation:
    id: str
    impact: str
    help: str
    targets: list[str]
    count: int

    def __str__(self) -> str:
        return f"{self.impact} {self.id} x{self.count}: {self.help} — {', '.join(self.targets)}"


def violations(page: Page) -> list[Violation]:
    """Every axe violation of the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    found: list[dict[str, Any]] = page.evaluate(_RUN)
    return [Violation(v["id"], v["impact"] or "", v["help"], v["targets"], v["count"]) for v in found]


def blocking(page: Page) -> list[Violation]:
    return [v for v in violations(page) if v.impact in BLOCKING]
