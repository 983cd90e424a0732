// The only code that calls Office.js. Turns its callbacks into promises so Rust
// (`src/host/outlook.rs`) sees `Result`s; returns plain data, never Office objects.
// Office.js itself is loaded by the /addin/?host=outlook page (the server adds its script tag).

const RECIPIENTS_CHANGED = "recipientsChanged";
const ITEM_CHANGED = "olkItemSelectedChanged";

function office() {
  if (typeof Office === "undefined" || !Office.onReady) throw new Error("Office.js is not loaded");
  return Office;
}

function item() {
  return office().context?.mailbox?.item ?? null;
}

function eventType(name, fallback) {
  return (Office.EventType && Office.EventType[name]) || fallback;
}

/** Resolves once Office is ready: { host, mode: "compose" | "read" | "none" }. */
export async function officeReady() {
  const info = await office().onReady();
  return { host: String(info?.host ?? ""), mode: itemMode() };
}

export function officePresent() {
  return typeof Office !== "undefined" && !!Office.onReady;
}

/** "compose" when the item has writable recipients, "read" when it has a sender. */
export function itemMode() {
  const it = item();
  if (!it) return "none";
  if (it.to && typeof it.to.getAsync === "function") return "compose";
  if (it.from) return "read";
  return "none";
}

/** Office's own requirement-set check (it compares versions component by component). */
export function isSetSupported(name, version) {
  const req = Office.context?.requirements;
  return !!(req && typeof req.isSetSupported === "function" && req.isSetSupported(name, version));
}

function asPromise(start) {
  return new Promise((resolve, reject) => {
    start((result) => {
      if (result && result.status === Office.AsyncResultStatus.Succeeded) resolve(result.value);
      else reject(new Error(result?.error?.message || "the Office request failed"));
    });
  });
}

function plain(details) {
  return { email: String(details?.emailAddress ?? ""), name: String(details?.displayName ?? "") };
}

/** Compose mode: { to: [{email, name}], cc: [...] }. */
export async function composeRecipients() {
  const it = item();
  if (!it || !it.to || typeof it.to.getAsync !== "function") throw new Error("no message is being composed");
  const [to, cc] = await Promise.all([
    asPromise((cb) => it.to.getAsync(cb)),
    it.cc && typeof it.cc.getAsync === "function" ? asPromise((cb) => it.cc.getAsync(cb)) : Promise.resolve([]),
  ]);
  return { to: (to || []).map(plain), cc: (cc || []).map(plain) };
}

/** Read mode: the sender, { email, name }, or null. */
export function readSender() {
  const it = item();
  return it && it.from ? plain(it.from) : null;
}

/** Calls `callback` on RecipientsChanged for the current item; resolves true once registered. */
export async function onRecipientsChanged(callback) {
  const it = item();
  if (!it || typeof it.addHandlerAsync !== "function") return false;
  try {
    await asPromise((cb) => it.addHandlerAsync(eventType("RecipientsChanged", RECIPIENTS_CHANGED), () => callback(), cb));
    return true;
  } catch (_) {
    return false;
  }
}

/** Calls `callback` when a pinned pane moves to another item (ItemChanged); resolves true once registered. */
export async function onItemChanged(callback) {
  const mailbox = office().context?.mailbox;
  if (!mailbox || typeof mailbox.addHandlerAsync !== "function") return false;
  try {
    await asPromise((cb) => mailbox.addHandlerAsync(eventType("ItemChanged", ITEM_CHANGED), () => callback(), cb));
    return true;
  } catch (_) {
    return false;
  }
}

let msalApp = null;

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error("cannot load " + src));
    document.head.appendChild(s);
  });
}

/**
 * An access token for Sequencer's API through nested app authentication (MSAL, standalone build,
 * loaded on first use). Silent first, then a popup the user can answer.
 */
export async function naaToken(clientId, scope, msalUrl) {
  if (!msalApp) {
    if (typeof msal === "undefined") await loadScript(msalUrl);
    msalApp = await msal.createNestablePublicClientApplication({
      auth: { clientId, authority: "https://login.microsoftonline.com/common" },
    });
  }
  const request = { scopes: [scope] };
  try {
    return (await msalApp.acquireTokenSilent(request)).accessToken;
  } catch (_) {
    return (await msalApp.acquireTokenPopup(request)).accessToken;
  }
}
