// Where Gmail keeps a compose window and its recipients. The ONLY file that knows Gmail's DOM:
// when Gmail changes, fix it here. Prefers stable attributes (`name`, `data-hovercard-id`,
// `email`, ARIA roles) over Gmail's obfuscated class names, which change without notice.
"use strict";
var SequencerGmail = {
  /** Every open compose window (pop-out dialogs and inline replies), outermost element. */
  composeWindows(doc) {
    const roots = new Set();
    for (const subject of doc.querySelectorAll('input[name="subjectbox"]')) {
      const root = subject.closest('[role="dialog"]') || subject.closest("form")?.parentElement;
      if (root) roots.add(root);
    }
    return [...roots];
  },

  /** The recipients of one compose window: { to: [...], cc: [...] }, lower-case addresses. */
  recipients(compose) {
    return { to: SequencerGmail.field(compose, "to"), cc: SequencerGmail.field(compose, "cc") };
  },

  /**
   * Addresses in the `to` or `cc` field, in order. Current Gmail (the 2021 compose design):
   * `[name=to] [role=listbox] [role=option]` chips carrying `data-hovercard-id` (the address) and
   * `data-name`. Older Gmail: a table row holding `textarea[name=to]` (or `input[name=to]`) whose
   * chips carry `email` or a hidden input with "Name <address>".
   */
  field(compose, name) {
    const out = [];
    const add = (raw) => {
      const text = (raw || "").trim();
      const email = (text.match(/<([^<>]+)>\s*$/)?.[1] ?? text).trim().toLowerCase();
      if (/^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/.test(email) && !out.includes(email)) out.push(email);
    };
    for (const chip of compose.querySelectorAll(`[name="${name}"] [data-hovercard-id]`)) {
      add(chip.getAttribute("data-hovercard-id"));
    }
    for (const input of compose.querySelectorAll(`tr textarea[name="${name}"], tr input[name="${name}"]`)) {
      const row = input.closest("tr");
      for (const chip of row.querySelectorAll("[email]")) add(chip.getAttribute("email"));
      for (const hidden of row.querySelectorAll('input[type="hidden"]')) add(hidden.value);
    }
    return out;
  },
};
