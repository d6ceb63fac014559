// Draws the Mermaid diagrams of every text the app shows as Markdown (notes and their preview,
// run outputs, discussions, memory, reports, public pages). The one Markdown renderer marks a
// finished ```mermaid block as `pre > code.language-mermaid`; this script, served by the app with
// the shared rules (integrations/diagram_policy.js) in front of it, finds such blocks as they
// appear and puts a drawing in their place. Mermaid (5.5 MB) is fetched only when a page has a
// diagram, from this app itself (never a CDN).
//
// Reflex pages change under it: a block may appear, vanish and come back with every update of the
// text around it. A MutationObserver looks only at what was added. Checked drawings are kept by
// their source, so a block that comes back unchanged gets a copy of its drawing (no Mermaid, no
// second check); only a new source is laid out. A diagram that cannot be drawn keeps its code and
// says why below it.
(() => {
  if (window.__nyxDiagrams) return;
  window.__nyxDiagrams = true;
  const policy = globalThis.nyxDiagramPolicy;
  const MERMAID_URL = "__MERMAID_URL__";
  const BLOCK = "pre > code.language-mermaid";
  const KEPT = 64; // drawings remembered, by source
  // source -> Promise of { svg, id, removed, node (the checked drawing, once shown) } or { error }
  const drawings = new Map();
  const stats = { drawn: 0, reused: 0, failed: 0 };
  Object.defineProperty(globalThis, "nyxDiagramStats", { value: stats, configurable: false });
  let loading = null;
  let counter = 0;

  function load() {
    if (!loading) {
      loading = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = MERMAID_URL;
        script.onload = () => {
          window.mermaid.initialize(policy.mermaidConfig());
          resolve(window.mermaid);
        };
        script.onerror = () => {
          loading = null; // a later diagram tries again
          reject(new Error("the diagram script could not be loaded"));
        };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  const nextId = () => `nyx-diagram-${++counter}`;

  // Mermaid's answer for a source, laid out once: the SVG text (checked again, with an id of its
  // own, each time it is put into the page) or the reason it could not be drawn.
  function drawing(source) {
    let found = drawings.get(source);
    if (found) {
      drawings.delete(source); // most recently used last
      drawings.set(source, found);
      return found;
    }
    found = (async () => {
      const cleaned = policy.cleanSource(source);
      if (cleaned.refused) return { error: cleaned.refused, removed: [] };
      const id = nextId();
      let mermaid;
      try {
        mermaid = await load();
      } catch (error) {
        drawings.delete(source); // not the diagram's fault: a later showing tries again
        return { error: error.message, removed: [] };
      }
      try {
        const { svg } = await mermaid.render(id, cleaned.text);
        stats.drawn++;
        return { svg, id, removed: cleaned.removed };
      } catch (error) {
        return { error: policy.explain(source, error), removed: [] };
      } finally {
        // Mermaid leaves a temporary element behind when a diagram fails.
        for (const left of [id, `d${id}`, `i${id}`]) {
          const node = document.getElementById(left);
          if (node && !node.closest("figure.nyx-diagram")) node.remove();
        }
      }
    })();
    drawings.set(source, found);
    while (drawings.size > KEPT) drawings.delete(drawings.keys().next().value);
    return found;
  }

  function explain(pre, message) {
    pre.dataset.nyxDiagram = "failed";
    const next = pre.nextElementSibling;
    if (next && next.classList.contains("nyx-diagram-error")) next.remove();
    const note = document.createElement("p");
    note.className = "nyx-diagram-error";
    note.setAttribute("role", "note");
    note.textContent = `This diagram could not be drawn: ${message}. Its code is shown instead.`;
    pre.after(note);
  }

  function figure(svg, removed) {
    const box = document.createElement("figure");
    box.className = "nyx-diagram";
    box.append(svg);
    if (removed.length) {
      const caption = document.createElement("figcaption");
      caption.className = "nyx-diagram-note";
      caption.textContent = `Left out of this drawing: ${removed.join(", ")}.`;
      box.append(caption);
    }
    return box;
  }

  async function show(code) {
    const pre = code.parentElement;
    if (pre.dataset.nyxDiagram) return;
    pre.dataset.nyxDiagram = "drawing";
    const source = code.textContent;
    const known = drawings.has(source);
    const result = await drawing(source);
    // The page may have replaced the block meanwhile; the new one is seen by the observer.
    if (!pre.isConnected || code.textContent !== source) return;
    if (result.error) {
      stats.failed++;
      explain(pre, result.error);
      return;
    }
    // Checked once and kept: a page update that brings the diagram back gets a copy of the checked
    // drawing. Only while another copy is on the page does it get a new id (checked anew), so two
    // copies never share ids (markers and style rules refer to them).
    let svg;
    if (!document.getElementById(result.id)) {
      if (result.node === undefined) result.node = policy.sanitizeSvg(result.svg, result.id);
      svg = result.node;
    } else {
      svg = policy.sanitizeSvg(result.svg, nextId());
    }
    if (!svg) {
      stats.failed++;
      explain(pre, "Mermaid gave no drawing");
      return;
    }
    if (known) stats.reused++;
    pre.replaceWith(figure(document.importNode(svg, true), result.removed));
  }

  function look(node) {
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    if (node.matches(BLOCK)) show(node);
    else if (node.firstElementChild) node.querySelectorAll(BLOCK).forEach(show);
  }

  new MutationObserver((records) => {
    for (const record of records) record.addedNodes.forEach(look);
  }).observe(document.documentElement, { childList: true, subtree: true });
  look(document.documentElement);
})();
