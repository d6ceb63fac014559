"""A state var whose unchanged parts keep their identity in the browser from one update to the next.

Reflex replaces a var whole when an update carries it: every step row of ``RunState.steps`` is a
new object after each update, so every memoised step card (``rx.memo`` compares its props by
identity) drew itself again although one step had changed. ``kept(var)`` reads the var through a
small hook that shares structure with the value it had before (the same walk as TanStack Query's
``replaceEqualDeep``): a row, an item or a list equal to the one before is the one before, so React
skips the cards and item rows that did not change and redraws only what did.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import VarData

# Declared in the component that reads the var (one hook, deduplicated by its text); pure, so
# drawing twice (React's strict mode) gives the same value.
_KEEP_SAME = """const nyxKeepSame = (a, b) => {
  if (a === b) return a;
  const plain = (o) => o !== null && typeof o === "object" && Object.getPrototypeOf(o) === Object.prototype;
  const array = Array.isArray(a) && Array.isArray(b);
  if (!array && !(plain(a) && plain(b))) return b;
  const aKeys = array ? a : Object.keys(a);
  const bKeys = array ? b : Object.keys(b);
  const copy = array ? [] : {};
  let same = 0;
  for (let i = 0; i < bKeys.length; i++) {
    const key = array ? i : bKeys[i];
    copy[key] = nyxKeepSame(a[key], b[key]);
    if (copy[key] === a[key] && a[key] !== undefined) same++;
  }
  return aKeys.length === bKeys.length && same === aKeys.length ? a : copy;
};"""


def kept(var: rx.Var[Any], name: str) -> rx.Var[Any]:
    """``var`` as the browser last saw it wherever it did not change (``name``: a JS identifier)."""
    ref = f"{name}_kept_ref"
    hook = f"const {ref} = useRef(null);\n{ref}.current = nyxKeepSame({ref}.current, {var!s});"
    data = VarData.merge(
        var._get_all_var_data(),
        VarData(imports={"react": ["useRef"]}, hooks={_KEEP_SAME: None, hook: None}),
    )
    return rx.Var(_js_expr=f"{ref}.current", _var_type=var._var_type, _var_data=data).guess_type()
