// Content script on Gmail: one Sequencer panel (an iframe of the extension page addin/panel.html,
// running the same Yew bundle as Outlook) beside each compose window, fed with that window's
// recipients. Messages: panel -> page {source: "sequencer-panel", type: "ready"}, checked by the
// extension's origin and the iframe's window; page -> panel {source: "sequencer-gmail",
// type: "recipients", to, cc}, sent to the extension's origin only (the panel checks ours).
"use strict";
(() => {
  const PANEL_URL = chrome.runtime.getURL("addin/panel.html");
  const EXTENSION_ORIGIN = new URL(PANEL_URL).origin;
  const WIDTH = 320;
  const panels = new Map(); // compose element -> { frame, last }
  let nextId = 1;

  function send(panel, force) {
    const r = SequencerGmail.recipients(panel.compose);
    const key = JSON.stringify(r);
    if (!force && key === panel.last) return;
    panel.last = key;
    panel.frame.contentWindow?.postMessage({ source: "sequencer-gmail", type: "recipients", to: r.to, cc: r.cc }, EXTENSION_ORIGIN);
  }

  function place(panel) {
    const rect = panel.compose.getBoundingClientRect();
    const left = Math.max(8, rect.left - WIDTH - 8);
    const height = Math.min(Math.max(rect.height, 420), window.innerHeight - 16);
    const top = Math.max(8, Math.min(rect.top, window.innerHeight - height - 8));
    Object.assign(panel.frame.style, { left: left + "px", top: top + "px", height: height + "px" });
  }

  function open(compose) {
    const frame = document.createElement("iframe");
    const id = nextId++;
    frame.src = PANEL_URL + "?compose=" + id;
    frame.title = "Sequencer";
    frame.setAttribute("data-sequencer-panel", String(id));
    compose.setAttribute("data-sequencer-compose", String(id));
    Object.assign(frame.style, {
      position: "fixed", width: WIDTH + "px", border: "1px solid #d0d7de", borderRadius: "8px",
      background: "#fff", boxShadow: "0 4px 16px rgba(0,0,0,.18)", zIndex: 2147483000,
    });
    document.body.appendChild(frame);
    const panel = { compose, frame, last: null };
    panels.set(compose, panel);
    place(panel);
  }

  function scan() {
    const open_ = new Set(SequencerGmail.composeWindows(document));
    for (const compose of open_) if (!panels.has(compose)) open(compose);
    for (const [compose, panel] of panels) {
      if (!open_.has(compose) || !compose.isConnected) {
        panel.frame.remove();
        panels.delete(compose);
        continue;
      }
      place(panel);
      send(panel, false);
    }
  }

  window.addEventListener("message", (event) => {
    if (event.origin !== EXTENSION_ORIGIN) return;
    const data = event.data;
    if (!data || data.source !== "sequencer-panel" || data.type !== "ready") return;
    for (const panel of panels.values()) if (event.source === panel.frame.contentWindow) send(panel, true);
  });

  let queued = false;
  const schedule = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; scan(); });
  };
  new MutationObserver(schedule).observe(document.body, { childList: true, subtree: true, attributes: true, characterData: true });
  document.addEventListener("input", schedule, true);
  window.addEventListener("resize", schedule);
  setInterval(scan, 1000);
  scan();
})();
