// A stand-in for Office.js in browser tests, injected before the page's own scripts (CDP
// Page.addScriptToEvaluateOnNewDocument). It keeps Office.js's shapes: Office.onReady (promise and
// callback), Office.context.mailbox.item with to/cc Recipients whose getAsync(options?, callback)
// answers asynchronously with an AsyncResult, item.from for read mode, addHandlerAsync on the item
// (RecipientsChanged) and on the mailbox (ItemChanged), Office.context.requirements.isSetSupported
// comparing versions component by component, Office.AsyncResultStatus and Office.EventType.
//
// Configure with `window.__officeStubConfig = { mailbox: "1.10", item: {...} }` before this file.
// Drive from the test through `window.__officeStub`.
(() => {
  if (window.Office) return;
  const config = window.__officeStubConfig || {};
  const AsyncResultStatus = { Succeeded: "succeeded", Failed: "failed" };
  const EventType = { RecipientsChanged: "olkRecipientsChanged", ItemChanged: "olkItemSelectedChanged" };
  const later = (f) => setTimeout(f, 0);
  const calls = { getAsync: 0, recipientsChangedHandlers: 0, itemChangedHandlers: 0 };

  function compareVersions(a, b) {
    const x = String(a).split(".").map(Number), y = String(b).split(".").map(Number);
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const d = (x[i] || 0) - (y[i] || 0);
      if (d !== 0) return d;
    }
    return 0;
  }

  function asyncResult(value, asyncContext) {
    return { status: AsyncResultStatus.Succeeded, value, error: null, asyncContext };
  }

  // addHandlerAsync(eventType, handler, [options], [callback])
  function handlerArgs(options, callback) {
    return typeof options === "function" ? [undefined, options] : [options, callback];
  }

  function details(p) {
    return { displayName: p.displayName || p.emailAddress, emailAddress: p.emailAddress, recipientType: "externalUser" };
  }

  class Recipients {
    constructor(item, field, list) {
      this._item = item;
      this._field = field;
      this._list = (list || []).map(details);
    }
    getAsync(options, callback) {
      [options, callback] = handlerArgs(options, callback);
      calls.getAsync++;
      const value = this._list.map((d) => ({ ...d }));
      later(() => callback && callback(asyncResult(value, options && options.asyncContext)));
    }
    setAsync(list, options, callback) {
      [options, callback] = handlerArgs(options, callback);
      this._list = list.map((p) => details(typeof p === "string" ? { emailAddress: p } : p));
      later(() => callback && callback(asyncResult(undefined, options && options.asyncContext)));
      this._item._recipientsChanged(this._field);
    }
  }

  function makeItem(spec) {
    const handlers = [];
    const item = {
      itemType: "message",
      itemId: spec.mode === "read" ? "AAMk" + Math.random().toString(36).slice(2) : undefined,
      addHandlerAsync(type, handler, options, callback) {
        [options, callback] = handlerArgs(options, callback);
        const ok = type === EventType.RecipientsChanged && spec.mode === "compose" && supports("1.7");
        if (ok) {
          handlers.push(handler);
          calls.recipientsChangedHandlers++;
        }
        later(() => callback && callback(ok ? asyncResult(undefined) : { status: AsyncResultStatus.Failed, error: { name: "InvalidEventDispatch", message: "unsupported event" } }));
      },
      _recipientsChanged(field) {
        const event = { type: EventType.RecipientsChanged, changedRecipientFields: { to: field === "to", cc: field === "cc", bcc: false } };
        for (const h of handlers) later(() => h(event));
      },
    };
    if (spec.mode === "compose") {
      item.to = new Recipients(item, "to", spec.to);
      item.cc = new Recipients(item, "cc", spec.cc);
      item.bcc = new Recipients(item, "bcc", []);
      item.subject = { getAsync: (o, cb) => { [o, cb] = handlerArgs(o, cb); later(() => cb(asyncResult(spec.subject || ""))); } };
    } else {
      item.from = details(spec.from);
      item.sender = details(spec.from);
      item.to = (spec.to || []).map(details);
      item.cc = (spec.cc || []).map(details);
      item.subject = spec.subject || "";
    }
    return item;
  }

  function supports(version) {
    return compareVersions(config.mailbox || "1.10", version) >= 0;
  }

  const mailboxHandlers = [];
  const mailbox = {
    item: makeItem(config.item || { mode: "compose", to: [], cc: [] }),
    diagnostics: { hostName: "OutlookWebApp", hostVersion: "16.0", OWAView: "ThreeColumn" },
    userProfile: { displayName: "Rita Rep", emailAddress: "rep@seller.example", timeZone: "UTC" },
    addHandlerAsync(type, handler, options, callback) {
      [options, callback] = handlerArgs(options, callback);
      const ok = type === EventType.ItemChanged && supports("1.5");
      if (ok) {
        mailboxHandlers.push(handler);
        calls.itemChangedHandlers++;
      }
      later(() => callback && callback(ok ? asyncResult(undefined) : { status: AsyncResultStatus.Failed, error: { message: "unsupported event" } }));
    },
  };

  const info = { host: "Outlook", platform: "OfficeOnline" };
  window.Office = {
    AsyncResultStatus,
    EventType,
    HostType: { Outlook: "Outlook" },
    PlatformType: { OfficeOnline: "OfficeOnline" },
    context: {
      mailbox,
      requirements: { isSetSupported: (name, version) => name === "Mailbox" && supports(version || "1.1") },
      diagnostics: { host: "Outlook", platform: "OfficeOnline", version: "16.0" },
    },
    onReady(callback) {
      const ready = new Promise((resolve) => later(() => resolve(info)));
      if (callback) ready.then(callback);
      return ready;
    },
    initialize: undefined,
  };

  // Test controls: what a user does in Outlook.
  window.__officeStub = {
    calls,
    /** Types recipients into To (or Cc) of the open compose item, like the user. */
    setRecipients(field, list) {
      mailbox.item[field].setAsync(list);
    },
    /** A pinned pane moves to another item (compose or read). */
    selectItem(spec) {
      mailbox.item = makeItem(spec);
      for (const h of mailboxHandlers) later(() => h({ type: EventType.ItemChanged }));
    },
  };
})();
