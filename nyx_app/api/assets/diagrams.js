// Draws the Mermaid diagrams of a report (code blocks of language "mermaid") as pictures, in the
// report viewer and on the public page of a post. Mermaid (5.5 MB) is fetched only when a page has
// a diagram, from this app itself (never a CDN), and runs with securityLevel 'strict': labels are
// sanitised, click handlers and scripts in diagrams are refused. A diagram Mermaid cannot read
// keeps its source and says why below it.
(() => {
  if (window.__nyxDiagrams) return;
  window.__nyxDiagrams = true;
  const MERMAID_URL = "__MERMAID_URL__";
  const BLOCKS = "pre > code.language-mermaid";
  let loading = null;
  let counter = 0;
  let busy = false;
  let again = false;
  let scheduled = false;

  function load() {
    if (!loading) {
      loading = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = MERMAID_URL;
        script.onload = () => {
          window.mermaid.initialize({
            startOnLoad: false,
            securityLevel: "strict",
            theme: "neutral",
            flowchart: { htmlLabels: true, useMaxWidth: true },
          });
          resolve(window.mermaid);
        };
        script.onerror = () => reject(new Error("the diagram script could not be loaded"));
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function explain(pre, message) {
    pre.dataset.nyxDiagram = "failed";
    const note = document.createElement("p");
    note.className = "nyx-diagram-error";
    note.textContent = `This diagram could not be drawn (${message}); its source is shown instead.`;
    pre.after(note);
  }

  async function drawAll() {
    if (busy) {
      again = true;
      return;
    }
    const blocks = [...document.querySelectorAll(BLOCKS)].filter((code) => !code.parentElement.dataset.nyxDiagram);
    if (!blocks.length) return;
    busy = true;
    try {
      let mermaid;
      try {
        mermaid = await load();
      } catch (error) {
        blocks.forEach((code) => explain(code.parentElement, error.message));
        return;
      }
      for (const code of blocks) {
        const pre = code.parentElement;
        if (!pre.isConnected || pre.dataset.nyxDiagram) continue;
        pre.dataset.nyxDiagram = "drawing";
        const id = `nyx-diagram-${++counter}`;
        try {
          const { svg } = await mermaid.render(id, code.textContent);
          const figure = document.createElement("figure");
          figure.className = "nyx-diagram";
          figure.innerHTML = svg;
          pre.replaceWith(figure);
        } catch (error) {
          const message = String((error && error.message) || error).split("\n")[0].slice(0, 200);
          explain(pre, message);
        } finally {
          // Mermaid leaves a temporary element behind when a diagram fails.
          for (const left of [id, `d${id}`, `i${id}`]) {
            const node = document.getElementById(left);
            if (node && !node.closest("figure.nyx-diagram")) node.remove();
          }
        }
      }
    } finally {
      busy = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  }

  // The viewer's content arrives after the page (and changes with it): look again after each
  // change of the document, at most once per frame.
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      drawAll();
    });
  }

  new MutationObserver(schedule).observe(document.documentElement, { childList: true, subtree: true });
  schedule();
})();
