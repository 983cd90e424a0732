// The only code that touches the Gmail extension bridge from the panel page (an extension page
// framed by the content script). Rust (`src/host/gmail.rs`) checks every message's origin, source
// and shape; this file only forwards them as JSON text.

/** The configuration `sequencer manifests` wrote into the extension (config.js), or null. */
export function extensionConfig() {
  const c = globalThis.SEQUENCER_EXTENSION;
  return c ? JSON.stringify(c) : null;
}

export function isExtensionPage() {
  return location.protocol === "chrome-extension:";
}

/** Calls `callback(origin, fromParent, json)` for every message this window receives. */
export function onMessage(callback) {
  window.addEventListener("message", (event) => {
    let json;
    try {
      json = JSON.stringify(event.data);
    } catch (_) {
      return;
    }
    callback(String(event.origin), event.source === window.parent, json ?? "null");
  });
}

/** Tells the content script in the parent (one of `origins`) that the panel listens now. */
export function postReady(origins) {
  if (window.parent === window) return;
  for (const origin of origins) window.parent.postMessage({ source: "sequencer-panel", type: "ready" }, origin);
}

/** A Google ID token for the Chrome user (chrome.identity web auth flow, implicit id_token). */
export function googleIdToken(clientId) {
  return new Promise((resolve, reject) => {
    if (!globalThis.chrome?.identity) return reject(new Error("chrome.identity is not available"));
    const redirect = chrome.identity.getRedirectURL();
    const nonce = crypto.randomUUID();
    const url = "https://accounts.google.com/o/oauth2/v2/auth?" + new URLSearchParams({
      client_id: clientId, response_type: "id_token", redirect_uri: redirect, scope: "openid email profile", nonce,
    });
    chrome.identity.launchWebAuthFlow({ url, interactive: true }, (result) => {
      if (chrome.runtime.lastError || !result) return reject(new Error(chrome.runtime.lastError?.message || "sign-in cancelled"));
      const token = new URLSearchParams(new URL(result).hash.slice(1)).get("id_token");
      token ? resolve(token) : reject(new Error("no id_token in the answer"));
    });
  });
}

const TOKEN_KEY = "sequencerToken";

/**
 * The Sequencer session token, kept in chrome.storage.local: one store for every extension page,
 * whichever site frames it (an iframe's localStorage may be partitioned by the top-level site).
 */
export async function loadToken() {
  if (!globalThis.chrome?.storage?.local) return null;
  const found = await chrome.storage.local.get(TOKEN_KEY);
  return typeof found[TOKEN_KEY] === "string" && found[TOKEN_KEY] ? found[TOKEN_KEY] : null;
}

export async function saveToken(token) {
  if (globalThis.chrome?.storage?.local) await chrome.storage.local.set({ [TOKEN_KEY]: token });
}

/** Removes the stored token if it still is `refused` (another panel may have stored a new one). */
export async function forgetToken(refused) {
  if (!globalThis.chrome?.storage?.local) return;
  const found = await chrome.storage.local.get(TOKEN_KEY);
  if (found[TOKEN_KEY] === refused) await chrome.storage.local.remove(TOKEN_KEY);
}
