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

/**
 * A Google ID token for the Chrome user: the implicit `id_token` flow of chrome.identity's web
 * auth flow at `authUrl` (Google's authorization endpoint, or the one the deployment names).
 * Silently first (no window; succeeds when the user is signed in and already consented), then
 * interactively with an account chooser. The token must carry the nonce this flow sent, or it is
 * refused (a token injected into the redirect); its signature is the server's to check.
 */
export async function googleIdToken(clientId, authUrl) {
  if (!globalThis.chrome?.identity) throw new Error("chrome.identity is not available");
  if (await signedOutByUser()) throw new Error("signed out by the user");
  try {
    return await idTokenFlow(clientId, authUrl, false);
  } catch (silent) {
    if (silent instanceof NonceMismatch) throw silent;
    return await idTokenFlow(clientId, authUrl, true);
  }
}

/**
 * The same, asked for by the user ("Sign in with Google"): straight to the account chooser, so a
 * shared computer can switch accounts. Clears the "signed out by the user" mark first.
 */
export async function googleIdTokenInteractive(clientId, authUrl) {
  if (!globalThis.chrome?.identity) throw new Error("chrome.identity is not available");
  if (globalThis.chrome?.storage?.local) await chrome.storage.local.remove(SIGNED_OUT_KEY);
  return await idTokenFlow(clientId, authUrl, true);
}

class NonceMismatch extends Error {}

async function idTokenFlow(clientId, authUrl, interactive) {
  const nonce = crypto.randomUUID();
  const url = new URL(authUrl);
  const params = {
    client_id: clientId, response_type: "id_token", redirect_uri: chrome.identity.getRedirectURL(),
    scope: "openid email profile", nonce,
  };
  if (interactive) params.prompt = "select_account";
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const result = await chrome.identity.launchWebAuthFlow({ url: url.href, interactive });
  if (!result) throw new Error("sign-in cancelled");
  const answer = new URLSearchParams(new URL(result).hash.slice(1));
  if (answer.get("error")) throw new Error(`sign-in refused: ${answer.get("error")}`);
  const token = answer.get("id_token");
  if (!token) throw new Error("no id_token in the answer");
  if (jwtPayload(token)?.nonce !== nonce) throw new NonceMismatch("the ID token is not for this sign-in (nonce)");
  return token;
}

/** The claims of a JWT, unverified (only to read the nonce back), or null when unreadable. */
function jwtPayload(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(part + "=".repeat((4 - (part.length % 4)) % 4));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch (_) {
    return null;
  }
}

const TOKEN_KEY = "sequencerToken";
/** Set when the user signed out of the panel: no silent Google sign-in until they sign in again. */
const SIGNED_OUT_KEY = "sequencerSignedOut";

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

/** Forgets the stored session and marks the user signed out, for every panel. */
export async function signOut() {
  if (!globalThis.chrome?.storage?.local) return;
  await chrome.storage.local.remove(TOKEN_KEY);
  await chrome.storage.local.set({ [SIGNED_OUT_KEY]: true });
}

async function signedOutByUser() {
  if (!globalThis.chrome?.storage?.local) return false;
  const found = await chrome.storage.local.get(SIGNED_OUT_KEY);
  return found[SIGNED_OUT_KEY] === true;
}

/** Calls `callback()` when the user signs out in any panel (so this one drops its session too). */
export function onSignedOut(callback) {
  globalThis.chrome?.storage?.onChanged?.addListener((changes, area) => {
    if (area === "local" && changes[SIGNED_OUT_KEY]?.newValue === true) callback();
  });
}
