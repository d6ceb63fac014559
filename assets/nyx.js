// nyxCore's keyboard shortcuts, on every page (loaded from the app itself, nyx_app.py).
//   ?          the list of shortcuts (the header's keyboard button)
//   c          create in the current list (the element marked data-shortcut="create")
//   g p / g m  go to Projects / the Memory Hub
//   Ctrl/⌘+S   save the note or workflow being edited
// None of the letter keys fire while typing in a field, or with Ctrl, ⌘ or Alt held; "/" and
// Ctrl/⌘+K are left to the workspace search.
(() => {
  if (window.nyxShortcuts) return;
  const typing = (el) =>
    !!el && (el.isContentEditable || !!el.closest?.('input, textarea, select, [role="textbox"], [role="combobox"]'));
  const visible = (el) => !!el && el.getClientRects().length > 0;
  const clickFirst = (selector) => {
    const el = [...document.querySelectorAll(selector)].find(visible);
    if (!el) return false;
    if (el.matches('input, textarea')) el.focus();
    else el.click();
    return true;
  };
  let pendingG = 0;

  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 's') {
      const note = document.getElementById('note-editor');
      const workflow = document.getElementById('save-workflow');
      if (note) {
        e.preventDefault();
        note.requestSubmit();
      } else if (workflow && !workflow.disabled) {
        e.preventDefault();
        workflow.click();
      }
      return;
    }
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    // Not while a dialog is open (one closing, data-state="closed", no longer counts).
    if (document.querySelector('[role="dialog"][data-state="open"], [role="alertdialog"][data-state="open"]')) return;
    const now = Date.now();
    if (pendingG && now - pendingG < 1200) {
      pendingG = 0;
      const target = { p: ['#nav-projects', '/'], m: ['#nav-memory', '/memory'] }[e.key];
      if (!target || !document.getElementById('user-name')) return; // signed-in pages only
      e.preventDefault();
      // The link (a client-side navigation) when it is on screen; on a phone it is folded away.
      if (!clickFirst(target[0])) window.location.assign(target[1]);
      return;
    }
    if (e.key === 'g') {
      pendingG = now;
    } else if (e.key === '?') {
      if (clickFirst('#shortcuts-button')) e.preventDefault();
    } else if (e.key === 'c') {
      if (clickFirst('[data-shortcut="create"]')) e.preventDefault();
    }
  });
  // Drag to reorder: a card with data-drag-id dropped on another of the same container (which
  // names its hidden input in data-reorder) reports "dragged>target" through that input's change
  // event, so the page's own handler does the rest. The cards' arrow buttons stay for keyboards.
  let dragged = null;
  const card = (e) => e.target.closest?.('[data-drag-id]');
  document.addEventListener('dragstart', (e) => {
    const from = card(e);
    if (!from || !from.closest('[data-reorder]')) return;
    dragged = from;
    e.dataTransfer.effectAllowed = 'move';
    e.dataTransfer.setData('text/plain', from.dataset.dragId);
    from.classList.add('nyx-dragging');
  });
  document.addEventListener('dragover', (e) => {
    const over = card(e);
    if (!dragged || !over || over === dragged || over.closest('[data-reorder]') !== dragged.closest('[data-reorder]')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    document.querySelectorAll('.nyx-drop-target').forEach((el) => el !== over && el.classList.remove('nyx-drop-target'));
    over.classList.add('nyx-drop-target');
  });
  document.addEventListener('drop', (e) => {
    const over = card(e);
    if (!dragged || !over || over === dragged) return;
    const box = dragged.closest('[data-reorder]');
    const input = box && document.getElementById(box.dataset.reorder);
    if (!input || over.closest('[data-reorder]') !== box) return;
    e.preventDefault();
    // React hears a change only through the value setter it wraps, then an input event.
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(
      input, `${dragged.dataset.dragId}>${over.dataset.dragId}`);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  document.addEventListener('dragend', () => {
    dragged?.classList.remove('nyx-dragging');
    document.querySelectorAll('.nyx-drop-target').forEach((el) => el.classList.remove('nyx-drop-target'));
    dragged = null;
  });

  window.nyxShortcuts = true;
})();
