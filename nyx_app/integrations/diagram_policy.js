// What a Mermaid diagram may be, shared by the viewer's script (api/assets/diagrams.js) and the PDF
// renderer (integrations/pdf): one set of rules, whichever page draws. Diagram source is written by
// members and models, so it is hostile text. Three walls, each checked by tests on its own:
//   1. cleanSource(): before Mermaid sees the text, configuration (`%%{init}%%` directives, a
//      `---` front-matter block), click/link/callback statements, image shapes and styles that
//      load from elsewhere are taken out (and named, so the reader is told), and `<` `>` in the
//      labels of diagrams Mermaid writes through its word splitter are escaped (see below).
//   2. Mermaid itself runs with securityLevel 'strict' and htmlLabels false: labels are SVG text,
//      never HTML (with HTML labels its DOMPurify pass keeps `<img src>` and so outside requests).
//   3. sanitizeSvg(): the SVG Mermaid returns is parsed in an inert document and rebuilt from an
//      allowlist of elements and attributes; no foreignObject, no image, no script, no animation,
//      no link except to an id of the same diagram, no event handler, no CSS that loads anything
//      (`url()` only to `#id`), style rules only inside the diagram. Only what survives is put
//      into the page (adopted as nodes, never re-parsed as HTML).
//
// Mermaid 12.3 with htmlLabels false drops a bare `>` from the labels of flowcharts, C4 and block
// diagrams: their text goes through DOMPurify, which returns text without `<` unchanged, and then
// through a splitter that keeps only `<...>` tags and runs of characters other than space, `<`
// and `>`. `&gt;` and `&lt;` pass the splitter and are shown as `>` and `<`; escaping them in label
// text keeps `a > b` and `<b>` exactly as written. Other diagram kinds show `>` by themselves.
(() => {
  if (globalThis.nyxDiagramPolicy) return;

  const SVG = "http://www.w3.org/2000/svg";
  const MAX_SOURCE_CHARS = 10000;

  // ---------------------------------------------------------------- Mermaid's settings
  const SECURE_KEYS = [
    "secure", "securityLevel", "startOnLoad", "maxTextSize", "maxEdges", "suppressErrorRendering",
    "htmlLabels", "flowchart", "dompurifyConfig", "themeCSS", "themeVariables", "fontFamily",
    "altFontFamily", "theme", "look", "elk", "class", "state", "sequence", "c4", "block", "kanban",
    "er", "gantt", "journey", "timeline", "mindmap", "architecture", "wrap", "arrowMarkerAbsolute",
  ];

  function mermaidConfig(extra = {}) {
    const base = {
      startOnLoad: false,
      securityLevel: "strict",
      theme: "neutral",
      htmlLabels: false,
      // Labels wrap at 200px as in Mermaid 11 (12 wraps at 120px: "Vision extraction" took two lines).
      flowchart: { htmlLabels: false, useMaxWidth: true, wrappingWidth: 200 },
      sequence: { useMaxWidth: true },
      // A failed diagram throws (and is shown as its code), instead of drawing Mermaid's bomb.
      suppressErrorRendering: true,
      // Layout runs on the reader's CPU (and the PDF renderer's): big diagrams are refused.
      maxTextSize: MAX_SOURCE_CHARS,
      maxEdges: 200,
      secure: SECURE_KEYS,
    };
    const merged = { ...base, ...extra };
    for (const key of ["flowchart", "sequence", "themeVariables"]) {
      if (base[key] || extra[key]) merged[key] = { ...(base[key] || {}), ...(extra[key] || {}) };
    }
    merged.flowchart.htmlLabels = false;
    merged.htmlLabels = false;
    merged.securityLevel = "strict";
    return merged;
  }

  // ---------------------------------------------------------------- 1. the source text
  const REMOVED = {
    config: "settings (%%{init}%% or a --- block)",
    actions: "click actions and links",
    images: "images",
    styles: "styles that load from elsewhere",
  };
  const ACTION_LINE = /^\s*(?:click|callback)\b|^\s*links?\s+[^\s\-=.<>&|]/i;
  const STYLE_LINE = /^\s*(?:style|classDef|linkStyle)\b/;
  // Where Mermaid copies the text into CSS: style statements, C4's `$bgColor=` parameters and
  // shape data `@{ ... }`. There, a function that takes an address refuses the statement, and so
  // does any backslash (CSS reads `u\72l(` and `u\rl(` as `url(`).
  const CSS_CONTEXT = /^\s*(?:style|classDef|linkStyle)\b|\$\w+\s*=/;
  const LOADS = /(?:url|image-set|image|cross-fade|element|src|expression|paint)\s*\(|@import|\\/i;
  // Shape data, `A@{ shape: ..., img: "https://..." }`, possibly over several lines.
  const SHAPE_DATA = /@\{[^}]*\}?/g;
  const IMAGE_KEY = /\b(?:img|image|icon)\s*:/i;
  const C4_LINK = /,\s*\$link\s*=\s*"[^"\n]*"/g;

  // Removed text leaves its line breaks behind, so Mermaid's line numbers stay the reader's.
  const blank = (text) => text.replace(/[^\n]/g, "");

  function withoutFrontMatter(text, removed) {
    const lines = text.split("\n");
    let first = 0;
    for (;;) {
      while (first < lines.length && lines[first].trim() === "") first++;
      if (first >= lines.length || lines[first].trim() !== "---") return lines.join("\n");
      let close = first + 1;
      while (close < lines.length && lines[close].trim() !== "---") close++;
      removed.add(REMOVED.config);
      for (let i = first; i <= Math.min(close, lines.length - 1); i++) lines[i] = "";
      if (close >= lines.length) return lines.join("\n");
      first = close + 1;
    }
  }

  function withoutDirectives(text, removed) {
    // Mermaid reads `%%{` anywhere, and up to `}%%` or the end. Taking one out may join two
    // halves into a new one, so look again until none is left.
    for (let start = text.indexOf("%%{"); start !== -1; start = text.indexOf("%%{")) {
      const end = text.indexOf("}%%", start + 3);
      const stop = end === -1 ? text.length : end + 3;
      text = text.slice(0, start) + blank(text.slice(start, stop)) + text.slice(stop);
      removed.add(REMOVED.config);
    }
    return text;
  }

  function kindOf(text) {
    for (const line of text.split("\n")) {
      const word = line.trim();
      if (!word || word.startsWith("%%")) continue;
      if (/^(?:graph|flowchart|flowchart-elk|flowchart-v2)\b/i.test(word)) return "flowchart";
      if (/^block(?:-beta)?\b/i.test(word)) return "block";
      if (/^C4\w*/.test(word)) return "c4";
      return "other";
    }
    return "other";
  }

  const BR = /<br\s*\/?>/iy; // sticky: tried at one position, never scans ahead

  // `<` and `>` inside label text become `&lt;` and `&gt;` (a `<br>` stays a line break). Label
  // text: inside [..] (..) {..} >..] node shapes, |..| edge labels and "..." strings, and a `<`
  // or `>` standing alone between an edge's dashes (`-- a > b -->`). Arrows keep theirs.
  function escapeLabels(line, kind) {
    let out = "";
    let mode = "outside";
    let back = "outside";
    const quotesOnly = kind === "c4";
    const lastClose = line.lastIndexOf("]");
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      const prev = line[i - 1] || "";
      const next = line[i + 1] || "";
      if (mode === "quote" || mode === "label" || mode === "pipe") {
        if (mode === "quote" && ch === '"') mode = back;
        else if (mode === "label" && ch === '"') [back, mode] = ["label", "quote"];
        else if (mode === "label" && "])}".includes(ch)) mode = "outside";
        else if (mode === "pipe" && ch === "|") mode = "outside";
        else if (ch === "<" && ((BR.lastIndex = i), BR.test(line))) {
          out += line.slice(i, BR.lastIndex);
          i = BR.lastIndex - 1;
          continue;
        } else if (ch === "<" || ch === ">") {
          out += ch === "<" ? "&lt;" : "&gt;";
          continue;
        }
        out += ch;
        continue;
      }
      // outside any label
      if (ch === '"') [back, mode] = ["outside", "quote"];
      else if (quotesOnly) {
        // C4: only strings are text.
      } else if ("[({".includes(ch)) mode = "label";
      else if (ch === "|" && kind === "flowchart") mode = "pipe";
      else if (ch === ">") {
        if ("-=.>]".includes(prev)) {
          // the head of an arrow (or of a block arrow `]>`)
        } else if (/\w/.test(prev) && lastClose > i) {
          mode = "label"; // the asymmetric shape `id>text]`
        } else {
          out += "&gt;";
          continue;
        }
      } else if (ch === "<" && !"-=.<[".includes(next)) {
        out += "&lt;";
        continue;
      }
      out += ch;
    }
    return out;
  }

  // A flowchart line split at the `;` that end statements (not those inside a label or string).
  function statementsOf(line) {
    const parts = [];
    let depth = 0;
    let quoted = false;
    let start = 0;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (ch === '"') quoted = !quoted;
      else if (quoted) continue;
      else if ("[({".includes(ch)) depth++;
      else if ("])}".includes(ch)) depth = Math.max(0, depth - 1);
      else if (ch === ";" && depth === 0) {
        parts.push(line.slice(start, i));
        start = i + 1;
      }
    }
    parts.push(line.slice(start));
    return parts;
  }

  function cleanSource(source) {
    const removed = new Set();
    let text = String(source ?? "").replace(/\r\n?/g, "\n");
    if (text.length > MAX_SOURCE_CHARS) {
      return { text: "", removed: [], refused: `it is longer than ${MAX_SOURCE_CHARS.toLocaleString("en")} characters` };
    }
    text = withoutDirectives(withoutFrontMatter(withoutDirectives(text, removed), removed), removed);
    if (text.match(C4_LINK)) {
      text = text.replace(C4_LINK, "");
      removed.add(REMOVED.actions);
    }
    text = text.replace(SHAPE_DATA, (data) => {
      const what = IMAGE_KEY.test(data) ? REMOVED.images : LOADS.test(data) ? REMOVED.styles : "";
      if (!what) return data;
      removed.add(what);
      return blank(data);
    });
    const kind = kindOf(text);
    const lines = [];
    for (const line of text.split("\n")) {
      // Statements may share a line, separated by `;` (flowcharts): each is judged on its own.
      const statements = kind === "flowchart" ? statementsOf(line) : [line];
      const kept = [];
      for (const statement of statements) {
        if (ACTION_LINE.test(statement)) removed.add(REMOVED.actions);
        else if (CSS_CONTEXT.test(statement) && LOADS.test(statement)) removed.add(REMOVED.styles);
        else if (/^\s*%%/.test(statement) || STYLE_LINE.test(statement) || kind === "other") kept.push(statement);
        else kept.push(escapeLabels(statement, kind));
      }
      lines.push(kept.join(";"));
    }
    return { text: lines.join("\n"), removed: [...removed], refused: "" };
  }

  // ---------------------------------------------------------------- 3. the drawn SVG
  const ELEMENTS = new Set([
    "svg", "g", "defs", "style", "title", "desc", "symbol", "use", "marker", "clipPath", "mask", "pattern",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan", "textPath",
    "linearGradient", "radialGradient", "stop", "filter", "feDropShadow", "feGaussianBlur", "feOffset",
    "feFlood", "feComposite", "feMerge", "feMergeNode", "feBlend", "feColorMatrix", "feMorphology",
  ]);
  // Their children are kept, the element itself is not (Mermaid wraps linked nodes in <a>; journey
  // puts a text fallback beside its foreignObject inside <switch>).
  const UNWRAP = new Set(["a", "switch"]);
  const ATTRIBUTES = new Set([
    "id", "class", "style", "transform", "d", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "rx", "ry",
    "fx", "fy", "fr", "dx", "dy", "width", "height", "viewBox", "preserveAspectRatio", "points", "pathLength",
    "fill", "fill-opacity", "fill-rule", "clip-rule", "stroke", "stroke-width", "stroke-opacity",
    "stroke-dasharray", "stroke-dashoffset", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit",
    "opacity", "color", "visibility", "display", "overflow", "vector-effect", "shape-rendering",
    "paint-order", "font-family", "font-size", "font-weight", "font-style", "font-variant",
    "text-anchor", "dominant-baseline", "alignment-baseline", "baseline-shift", "letter-spacing",
    "word-spacing", "text-decoration", "writing-mode", "rotate", "textLength", "lengthAdjust",
    "startOffset", "xml:space", "marker-start", "marker-mid", "marker-end", "markerWidth", "markerHeight",
    "markerUnits", "refX", "refY", "orient", "gradientUnits", "gradientTransform", "spreadMethod",
    "offset", "stop-color", "stop-opacity", "clip-path", "clipPathUnits", "mask", "maskUnits",
    "maskContentUnits", "patternUnits", "patternContentUnits", "patternTransform", "filter",
    "filterUnits", "primitiveUnits", "stdDeviation", "flood-color", "flood-opacity", "in", "in2",
    "result", "operator", "k1", "k2", "k3", "k4", "mode", "values", "type", "radius",
    "transform-origin", "role", "xmlns", "version", "name", "href", "xlink:href",
  ]);
  const DATA_OR_ARIA = /^(?:data|aria)-[a-z0-9-]{1,40}$/;
  const FUNCTIONS = new Set([
    "url", "rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch", "color", "color-mix",
    "calc", "min", "max", "clamp", "var", "translate", "translatex", "translatey", "scale", "scalex",
    "scaley", "rotate", "skewx", "skewy", "matrix", "cubic-bezier", "steps", "drop-shadow",
  ]);
  const SAME_DOCUMENT_URL = /^url\(\s*(["']?)#[\w.:-]+\1\s*\)$/i;
  const KEYFRAMES = new Set(["dash", "edge-animation-frame"]);

  function safeValue(value) {
    if (value.includes("\\")) return false;
    for (const match of value.matchAll(/([a-z-]*)\s*\(/gi)) {
      const name = match[1].toLowerCase();
      if (!FUNCTIONS.has(name)) return false;
      if (name === "url") {
        const end = value.indexOf(")", match.index);
        if (end === -1 || !SAME_DOCUMENT_URL.test(value.slice(match.index, end + 1))) return false;
      }
    }
    return true;
  }

  // Declarations of a CSSStyleDeclaration, each checked, as text.
  function declarations(style) {
    const kept = [];
    for (let i = 0; i < style.length; i++) {
      const name = style[i];
      const value = style.getPropertyValue(name);
      if (!/^-?[a-z][a-z0-9-]*$/.test(name) || !safeValue(value)) continue;
      const important = style.getPropertyPriority(name) ? " !important" : "";
      kept.push(`${name}: ${value}${important}`);
    }
    return kept.join("; ");
  }

  // A selector stays inside the diagram when every part of it starts at the diagram's root and
  // goes down from there (`#id .node`, `#id > g`), never sideways (`#id ~ p`) or elsewhere (`body`).
  function insideDiagram(selector, id) {
    const root = `#${id}`;
    return selector.split(",").every((part) => {
      const text = part.trim();
      if (!text.startsWith(root)) return false;
      const rest = text.slice(root.length);
      return rest === "" || /^[.[:]/.test(rest) || /^\s*>\s*\S/.test(rest) || /^\s+[^\s~+>]/.test(rest);
    });
  }

  function styleSheet(text, id) {
    const sheet = new CSSStyleSheet();
    try {
      sheet.replaceSync(text); // @import rules are ignored by replaceSync
    } catch {
      return "";
    }
    const rules = [];
    for (const rule of sheet.cssRules) {
      if (rule instanceof CSSStyleRule) {
        if (!insideDiagram(rule.selectorText, id)) continue;
        const body = declarations(rule.style);
        if (body) rules.push(`${rule.selectorText} { ${body}; }`);
      } else if (rule instanceof CSSKeyframesRule && KEYFRAMES.has(rule.name)) {
        const frames = [...rule.cssRules].map((f) => `${f.keyText} { ${declarations(f.style)}; }`);
        rules.push(`@keyframes ${rule.name} { ${frames.join(" ")} }`);
      }
    }
    return rules.join("\n");
  }

  function cleanAttributes(el, id, ids, scratch) {
    for (const attr of [...el.attributes]) {
      const name = attr.name;
      let value = attr.value;
      let keep = ATTRIBUTES.has(name) || DATA_OR_ARIA.test(name);
      if (keep && (name === "href" || name === "xlink:href")) {
        keep = /^#[\w.:-]+$/.test(value) && ["use", "textPath"].includes(el.localName);
        if (keep) value = `#${ids.get(value.slice(1)) ?? value.slice(1)}`;
      } else if (keep && name === "id") {
        value = ids.get(value) ?? value;
      } else if (keep && name === "style") {
        scratch.setAttribute("style", value);
        value = declarations(scratch.style);
      } else if (keep && !DATA_OR_ARIA.test(name)) {
        value = value.replace(/url\(\s*(["']?)#([\w.:-]+)\1\s*\)/gi, (m, q, ref) => `url(#${ids.get(ref) ?? ref})`);
        keep = safeValue(value);
      }
      if (!keep) el.removeAttribute(name);
      else if (value !== attr.value) el.setAttribute(name, value);
    }
  }

  function textFor(foreign) {
    const text = foreign.ownerDocument.createElementNS(SVG, "text");
    const number = (name) => Number.parseFloat(foreign.getAttribute(name) || "0") || 0;
    text.setAttribute("x", String(number("x") + number("width") / 2));
    text.setAttribute("y", String(number("y") + number("height") / 2));
    text.setAttribute("text-anchor", "middle");
    text.setAttribute("dominant-baseline", "central");
    text.textContent = (foreign.textContent || "").replace(/\s+/g, " ").trim();
    return text;
  }

  function cleanTree(el, id, ids, scratch) {
    for (const child of [...el.children]) {
      const name = child.localName;
      if (child.namespaceURI !== SVG) {
        child.remove();
      } else if (name === "foreignObject") {
        // HTML inside an SVG: never kept. Its words become SVG text, unless the drawing has a text
        // of its own beside it (a <switch> holds both).
        if (el.localName === "switch") child.remove();
        else child.replaceWith(textFor(child));
      } else if (UNWRAP.has(name)) {
        cleanTree(child, id, ids, scratch);
        child.replaceWith(...child.childNodes);
      } else if (!ELEMENTS.has(name)) {
        child.remove();
      } else if (name === "style") {
        child.textContent = styleSheet(child.textContent || "", id);
        for (const attr of [...child.attributes]) child.removeAttribute(attr.name);
      } else {
        cleanAttributes(child, id, ids, scratch);
        cleanTree(child, id, ids, scratch);
      }
    }
    // Comments and processing instructions carry nothing a reader needs.
    for (const node of [...el.childNodes]) {
      if (node.nodeType !== Node.ELEMENT_NODE && node.nodeType !== Node.TEXT_NODE) node.remove();
    }
  }

  // The SVG text Mermaid returned, as an <svg> element of an inert document (nothing in it has
  // loaded or run), holding only what the allowlist admits; null when it is not an SVG. Every id
  // is made to start with the diagram's own id, so none can stand for an element of the page.
  function sanitizeSvg(svgText, id) {
    if (!/^[A-Za-z][\w-]{0,63}$/.test(id)) throw new Error("a diagram id must be a plain name");
    const doc = new DOMParser().parseFromString(`<!doctype html><body>${svgText}`, "text/html");
    const root = doc.body.firstElementChild;
    if (!root || root.localName !== "svg" || root.namespaceURI !== SVG || doc.body.children.length !== 1) return null;
    // Mermaid names the diagram's ids after the root's: they follow it to the new id. Any other
    // id is prefixed, so none can stand for an element of the page.
    const rootId = root.getAttribute("id") || "";
    const ids = new Map([[rootId, id]]);
    for (const el of root.querySelectorAll("[id]")) {
      const old = el.getAttribute("id");
      if (ids.has(old)) continue;
      if (rootId && old.startsWith(rootId)) ids.set(old, id + old.slice(rootId.length));
      else ids.set(old, old.startsWith(id) ? old : `${id}-${old.replace(/[^\w.:-]/g, "_")}`);
    }
    // The style rules are written for the root's old id (and ids made from it).
    if (rootId && rootId !== id) {
      for (const style of root.querySelectorAll("style")) {
        style.textContent = (style.textContent || "").split(`#${rootId}`).join(`#${id}`);
      }
    }
    const scratch = doc.createElement("span");
    cleanAttributes(root, id, ids, scratch);
    cleanTree(root, id, ids, scratch);
    root.setAttribute("id", id);
    // Mermaid wraps a long label onto rows (a <tspan> each) with nothing between them: a space at
    // each row's end keeps the words apart when they are copied, searched or read from a PDF.
    for (const row of root.querySelectorAll("tspan.text-outer-tspan")) {
      const next = row.nextElementSibling;
      const wrapped = next && next.localName === "tspan" && next.classList.contains("text-outer-tspan");
      if (wrapped && !/\s$/.test(row.textContent || "")) row.append(" ");
    }
    return root;
  }

  // ---------------------------------------------------------------- what a reader is told
  function explain(source, error) {
    const message = String((error && error.message) || error || "");
    const lines = String(source || "").replace(/\r\n?/g, "\n").trimEnd().split("\n");
    if (!String(source || "").trim()) return "it is empty";
    if (message.includes("No diagram type detected")) {
      return "Mermaid does not know this kind of diagram (the first line names it, e.g. \u201cgraph TD\u201d)";
    }
    const parse = message.match(/Parse error on line (\d+)/) || message.match(/Lexical error on line (\d+)/);
    if (parse) {
      const number = Number(parse[1]);
      if (number > lines.length) return "Mermaid could not read the end of it (is something left open?)";
      return `Mermaid could not read line ${number}, \u201c${lines[number - 1].trim().slice(0, 80)}\u201d`;
    }
    const first = message.split("\n").map((l) => l.trim()).find(Boolean) || "Mermaid gave no reason";
    return first.slice(0, 240).replace(/[.:]+$/, "");
  }

  const policy = Object.freeze({ MAX_SOURCE_CHARS, mermaidConfig, cleanSource, sanitizeSvg, explain });
  Object.defineProperty(globalThis, "nyxDiagramPolicy", { value: policy, writable: false, configurable: false });
})();
