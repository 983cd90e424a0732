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

  /** Addresses in the `to` or `cc` field: chips first, then hidden inputs Gmail keeps in sync. */
  field(compose, name) {
    const out = [];
    const add = (raw) => {
      const email = (raw || "").trim().toLowerCase();
      if (/^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/.test(email) && !out.includes(email)) out.push(email);
    };
    for (const area of compose.querySelectorAll(`[name="${name}"]`)) {
      const chips = area.matches("input, textarea") ? [] : area.querySelectorAll("[data-hovercard-id], [email]");
      for (const chip of chips) add(chip.getAttribute("data-hovercard-id") || chip.getAttribute("email"));
      if (area.matches('input[type="hidden"], textarea')) area.value.split(/[,;]/).forEach((a) => add(a.replace(/.*</, "").replace(/>.*/, "")));
    }
    return out;
  },
};
