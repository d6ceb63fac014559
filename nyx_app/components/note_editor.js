// The note editor's browser side (components/note_editor.py sends it with the note page's load).
// Installed once per page session; every listener is on the document and looks for the editor,
// so it works for whichever note is open and does nothing where there is no editor.
//
// - Unsaved text: the editor root carries data-unsaved from the server (a restored draft, or text
//   that differs from the saved note); a field typed into since the editor opened carries
//   data-typed. Either one makes leaving ask first: closing or reloading the tab (beforeunload)
//   and following a link inside the app (asked before the router sees the click).
// - Images pasted or dropped into the text go through the page's hidden uploader (the same checks
//   and pipeline as the drop zone). A placeholder marks each one at the cursor until the server
//   says how it went: resolve(i, markdown) puts the image reference in its place, or takes the
//   placeholder away if the file was refused; done() ends the batch.
(() => {
  if (window.nyxNoteEditor) return;
  const LEAVE = "This note has unsaved changes. Leave anyway? (They stay as a draft.)";
  const editor = () => document.getElementById("note-editor");
  const text = () => document.getElementById("edit-note-content");
  const unsaved = () => {
    const root = editor();
    return !!root && (root.dataset.unsaved === "true" || !!root.querySelector("[data-typed]"));
  };
  const batches = []; // [{tokens: [...]}], oldest first: the uploader runs one drop at a time

  const replace = (area, from, to, value) => {
    area.setRangeText(value, from, to, "preserve");
    // React reads a change from the input event; setRangeText bypasses its value tracker.
    area.dispatchEvent(new Event("input", { bubbles: true }));
  };
  const insertAtCursor = (area, value) => {
    area.focus();
    // execCommand keeps the browser's undo history; setRangeText is the fallback.
    if (!document.execCommand("insertText", false, value)) {
      replace(area, area.selectionStart, area.selectionEnd, value);
      area.selectionStart = area.selectionEnd = area.selectionStart + value.length;
    }
  };
  // Mirrors the uploader's own refusals (count and size); the type is never judged here: the
  // server decodes every file (a PNG without an extension has no type in the browser).
  const fits = (files, root) => {
    const maxFiles = Number(root.dataset.maxFiles || 0);
    const maxBytes = Number(root.dataset.maxBytes || 0);
    return files.length <= maxFiles && files.every((f) => f.size <= maxBytes);
  };

  const upload = (files, area) => {
    const root = editor();
    const input = document.querySelector("#note-paste-upload input[type=file]");
    if (!root || !input) return;
    if (fits(files, root)) {
      // Placeholders only for a drop the uploader will take (it refuses the others with a message).
      const stamp = Date.now().toString(36);
      const tokens = files.map((f, i) => `![Uploading ${f.name.replace(/[\[\]()]/g, "")}…](#upload-${stamp}-${i})`);
      // Each image on a line of its own.
      const before = area.value.slice(0, area.selectionStart);
      const lead = before === "" || before.endsWith("\n") ? "" : "\n";
      insertAtCursor(area, lead + tokens.join("\n") + "\n");
      batches.push({ tokens });
    }
    const transfer = new DataTransfer();
    files.forEach((f) => transfer.items.add(f));
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  };
  // Every file pasted or dropped into the text goes to the uploader, whatever its name or type.
  const imageFiles = (data) => Array.from(data?.files ?? []);

  document.addEventListener("input", (e) => {
    if (e.isTrusted && e.target.closest?.("#note-editor")) e.target.dataset.typed = "1";
  }, true);
  document.addEventListener("paste", (e) => {
    if (e.target !== text()) return;
    const files = imageFiles(e.clipboardData);
    if (!files.length) return;
    e.preventDefault();
    upload(files, e.target);
  }, true);
  document.addEventListener("dragover", (e) => {
    if (e.target === text() && Array.from(e.dataTransfer?.types ?? []).includes("Files")) e.preventDefault();
  }, true);
  document.addEventListener("drop", (e) => {
    if (e.target !== text()) return;
    const files = imageFiles(e.dataTransfer);
    if (!files.length) return;
    e.preventDefault();
    upload(files, e.target);
  }, true);
  window.addEventListener("beforeunload", (e) => {
    if (!unsaved()) return;
    e.preventDefault();
    e.returnValue = "";
  });
  document.addEventListener("click", (e) => {
    const link = e.target.closest?.("a[href]");
    if (!link || !unsaved() || e.defaultPrevented || e.button !== 0) return;
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || link.target === "_blank") return;
    const to = new URL(link.href, location.href);
    if (to.origin !== location.origin || (to.pathname === location.pathname && to.hash)) return;
    if (!window.confirm(LEAVE)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  // The toolbar: wrap the selection (or a placeholder word, selected) or prefix its lines.
  const WRAP = { bold: ["**", "**", "bold"], italic: ["_", "_", "italic"], code: ["`", "`", "code"],
                 link: ["[", "](https://)", "link text"] };
  const PREFIX = { heading: "## ", list: "- ", numbered: "1. ", quote: "> " };
  const format = (kind) => {
    const area = text();
    if (!area) return;
    area.focus();
    const { selectionStart: from, selectionEnd: to, value } = area;
    if (WRAP[kind]) {
      const [open, close, sample] = WRAP[kind];
      const picked = value.slice(from, to) || sample;
      replace(area, from, to, open + picked + close);
      area.setSelectionRange(from + open.length, from + open.length + picked.length);
    } else if (PREFIX[kind]) {
      const start = value.lastIndexOf("\n", from - 1) + 1;
      const lines = value.slice(start, to).split("\n");
      const done = lines.map((line, i) => (kind === "numbered" ? `${i + 1}. ` : PREFIX[kind]) + line).join("\n");
      replace(area, start, to, done);
      area.setSelectionRange(start, start + done.length);
    }
    area.dataset.typed = "1";
  };

  window.nyxNoteEditor = {
    format,
    resolve(index, markdown) {
      const area = text();
      const token = batches[0]?.tokens[index];
      if (!area || !token) return;
      const at = area.value.indexOf(token);
      if (at < 0) return; // the user deleted the placeholder: nothing to put back
      const end = at + token.length + (markdown || area.value[at + token.length] !== "\n" ? 0 : 1);
      replace(area, at, end, markdown);
    },
    done() {
      const batch = batches.shift();
      const area = text();
      if (!batch || !area) return;
      for (const token of batch.tokens) {
        const at = area.value.indexOf(token);
        if (at >= 0) replace(area, at, at + token.length + (area.value[at + token.length] === "\n" ? 1 : 0), "");
      }
    },
  };
})();
