"""A person-readable name for the browser and device behind a User-Agent header ("Firefox 128 on
Windows", "Mobile Safari 17 on iPhone"), from ua-parser's maintained rules."""

from __future__ import annotations

from functools import lru_cache

from ua_parser import parse

UNKNOWN = "Unknown browser"


@lru_cache(maxsize=256)
def device_label(user_agent: str) -> str:
    if not user_agent.strip():
        return UNKNOWN
    found = parse(user_agent)
    browser = found.user_agent
    name = browser.family if browser and browser.family != "Other" else UNKNOWN
    if browser and browser.major and name != UNKNOWN:
        name = f"{name} {browser.major}"
    device = found.device
    if device and device.family not in ("Other", "Generic Smartphone", "Generic Feature Phone", "Spider"):
        where = device.family
    elif found.os and found.os.family != "Other":
        where = found.os.family
    else:
        return name
    return f"{name} on {where}"
