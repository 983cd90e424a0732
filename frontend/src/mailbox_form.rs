//! The Mailboxes page's form as a pure model: what the admin typed, whether it connects a new
//! mailbox or edits one, and the `MailboxRequest` it describes. Tested without a browser. Must not
//! depend on `api/`, `host/`, `views/` or the DOM.

use std::rc::Rc;

use shared::{ImapSettingsRequest, ImapSettingsView, MailboxRequest, MailboxView};
use yew::Reducible;

/// How Sequencer signs in to the IMAP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMethod {
    #[default]
    Password,
    /// An OAuth2 access token (XOAUTH2), for Gmail and Microsoft 365.
    Token,
}

impl AuthMethod {
    /// The method stored settings use (`auth` as the server shows it).
    pub fn of(settings: &ImapSettingsView) -> AuthMethod {
        match settings.auth.as_str() {
            "xoauth2" => AuthMethod::Token,
            _ => AuthMethod::Password,
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            AuthMethod::Password => "password",
            AuthMethod::Token => "token",
        }
    }
}

/// The mailbox being edited: what the request must carry over and what the form says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editing {
    pub id: i64,
    /// The address before this edit (the heading names it).
    pub address: String,
    /// Kept as it is: the form does not offer to change the rep.
    pub user_id: Option<i64>,
    /// The IMAP settings as loaded; `None` for a webhook-only mailbox (no credentials stored).
    pub stored: Option<ImapSettingsView>,
}

/// A text input of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Address,
    Host,
    Port,
    Username,
    Password,
    Token,
    Folders,
}

/// What the admin typed, as typed (trimmed only when the request is built).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxDraft {
    pub address: String,
    pub host: String,
    pub port: String,
    pub tls: bool,
    pub username: String,
    pub auth: AuthMethod,
    pub password: String,
    pub token: String,
    pub folders: String,
    /// `None`: the form connects a new mailbox.
    pub editing: Option<Editing>,
}

impl Default for MailboxDraft {
    fn default() -> Self {
        MailboxDraft {
            address: String::new(),
            host: String::new(),
            port: String::new(),
            tls: true,
            username: String::new(),
            auth: AuthMethod::Password,
            password: String::new(),
            token: String::new(),
            folders: String::new(),
            editing: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum DraftAction {
    Type(Field, String),
    Tls(bool),
    Auth(AuthMethod),
    /// Loads a listed mailbox for editing; secrets are never shown, so they start empty.
    Edit(MailboxView),
    /// Back to an empty "Connect a mailbox" form (after a submit succeeded, or Cancel).
    Reset,
}

impl MailboxDraft {
    pub fn apply(&mut self, action: DraftAction) {
        match action {
            DraftAction::Type(field, value) => *self.field_mut(field) = value,
            DraftAction::Tls(tls) => self.tls = tls,
            DraftAction::Auth(auth) => self.auth = auth,
            DraftAction::Edit(view) => *self = MailboxDraft::editing(&view),
            DraftAction::Reset => *self = MailboxDraft::default(),
        }
    }

    fn field_mut(&mut self, field: Field) -> &mut String {
        match field {
            Field::Address => &mut self.address,
            Field::Host => &mut self.host,
            Field::Port => &mut self.port,
            Field::Username => &mut self.username,
            Field::Password => &mut self.password,
            Field::Token => &mut self.token,
            Field::Folders => &mut self.folders,
        }
    }

    fn editing(view: &MailboxView) -> MailboxDraft {
        let mut draft = MailboxDraft {
            address: view.address.clone(),
            auth: view.imap.as_ref().map(AuthMethod::of).unwrap_or_default(),
            editing: Some(Editing {
                id: view.id,
                address: view.address.clone(),
                user_id: view.user_id,
                stored: view.imap.clone(),
            }),
            ..MailboxDraft::default()
        };
        if let Some(i) = &view.imap {
            draft.host.clone_from(&i.host);
            draft.port = i.port.to_string();
            draft.tls = i.tls;
            draft.username.clone_from(&i.username);
            draft.folders = i.folders.join(", ");
        }
        draft
    }

    /// The secret input's hint while editing IMAP settings: what leaving it empty does. The
    /// server keeps stored credentials only for the same host, port, TLS and user name, and says
    /// so when refusing; the hint tells beforehand.
    pub fn secret_hint(&self) -> Option<String> {
        let stored = self.editing.as_ref()?.stored.as_ref()?;
        Some(if self.same_server(stored) {
            format!(
                "Leave empty to keep the stored {}.",
                AuthMethod::of(stored).noun()
            )
        } else {
            format!(
                "The server or user name changed, so enter its {}.",
                self.auth.noun()
            )
        })
    }

    fn same_server(&self, stored: &ImapSettingsView) -> bool {
        let port = match self.port.trim() {
            "" => Some(if self.tls { 993 } else { 143 }),
            p => p.parse::<u16>().ok(),
        };
        (self.host.trim(), port, self.tls, self.username.trim())
            == (
                stored.host.as_str(),
                Some(stored.port),
                stored.tls,
                stored.username.as_str(),
            )
    }

    /// The request the form describes: IMAP only when a host is given, with exactly one of
    /// password and token (the chosen one, left out when empty so the server keeps what it has).
    pub fn request(&self) -> Result<MailboxRequest, String> {
        let host = self.host.trim();
        let imap = if host.is_empty() {
            None
        } else {
            let port = match self.port.trim() {
                "" => None,
                p => Some(
                    p.parse::<u16>()
                        .map_err(|_| format!("{p} is not a port."))?,
                ),
            };
            let secret = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
            let (password, oauth_token) = match self.auth {
                AuthMethod::Password => (secret(&self.password), None),
                AuthMethod::Token => (None, secret(&self.token)),
            };
            Some(ImapSettingsRequest {
                host: host.to_string(),
                port,
                tls: self.tls,
                username: self.username.trim().to_string(),
                password,
                oauth_token,
                folders: self
                    .folders
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            })
        };
        Ok(MailboxRequest {
            address: self.address.trim().to_string(),
            user_id: self.editing.as_ref().and_then(|e| e.user_id),
            imap,
        })
    }
}

impl Reducible for MailboxDraft {
    type Action = DraftAction;

    fn reduce(self: Rc<Self>, action: DraftAction) -> Rc<Self> {
        let mut next = (*self).clone();
        next.apply(action);
        Rc::new(next)
    }
}

/// One line about a listed mailbox: how Sequencer reads it.
pub fn describe(m: &MailboxView) -> String {
    match &m.imap {
        Some(i) => {
            let folders = if i.folders.is_empty() {
                "INBOX".to_string()
            } else {
                i.folders.join(", ")
            };
            let tls = if i.tls { "" } else { " without TLS" };
            let auth = if i.auth == "xoauth2" { " (OAuth2)" } else { "" };
            format!(
                "IMAP {}:{}{tls} as {}{auth} · {folders}",
                i.host, i.port, i.username
            )
        }
        None => "Webhook only".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(auth: &str) -> MailboxView {
        MailboxView {
            id: 7,
            address: "rep@seller.example".into(),
            user_id: Some(3),
            webhook_secret: None,
            imap: Some(ImapSettingsView {
                host: "127.0.0.1".into(),
                port: 1143,
                tls: false,
                username: "rep".into(),
                folders: vec!["INBOX".into(), "Replies".into()],
                auth: auth.into(),
            }),
            last_error: None,
            last_error_at: None,
        }
    }

    fn typed(actions: Vec<DraftAction>) -> MailboxDraft {
        let mut d = MailboxDraft::default();
        for a in actions {
            d.apply(a);
        }
        d
    }

    fn check(draft: &MailboxDraft, expected: serde_json::Value) {
        let actual = draft
            .request()
            .map(|r| serde_json::to_value(r).unwrap_or_default());
        assert_eq!(actual, Ok(expected));
    }

    #[test]
    fn a_mailbox_without_a_host_is_webhook_only() {
        let d = typed(vec![DraftAction::Type(
            Field::Address,
            " a@b.example ".into(),
        )]);
        check(&d, serde_json::json!({ "address": "a@b.example" }));
    }

    #[test]
    fn only_the_chosen_secret_is_sent() {
        use DraftAction::*;
        let base = vec![
            Type(Field::Address, "a@b.example".into()),
            Type(Field::Host, "imap.example".into()),
            Type(Field::Username, "a".into()),
            Type(Field::Password, "pw".into()),
            Type(Field::Token, " ya29.tok ".into()),
            Type(Field::Folders, "INBOX, , Replies ".into()),
        ];
        let imap = |extra: serde_json::Value| {
            let mut v = serde_json::json!({
                "host": "imap.example", "port": null, "tls": true, "username": "a",
                "folders": ["INBOX", "Replies"],
            });
            if let (Some(v), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
                v.extend(extra.clone());
            }
            serde_json::json!({ "address": "a@b.example", "imap": v })
        };
        check(
            &typed(base.clone()),
            imap(serde_json::json!({ "password": "pw" })),
        );
        let mut with_token = base;
        with_token.extend([Auth(AuthMethod::Token), Tls(false)]);
        check(
            &typed(with_token),
            imap(serde_json::json!({ "oauth_token": "ya29.tok", "tls": false })),
        );
    }

    #[test]
    fn a_port_must_be_a_number() {
        let d = typed(vec![
            DraftAction::Type(Field::Host, "imap.example".into()),
            DraftAction::Type(Field::Port, "99999".into()),
        ]);
        assert_eq!(d.request(), Err("99999 is not a port.".into()));
    }

    #[test]
    fn editing_loads_the_row_but_never_a_secret_and_keeps_the_rep() {
        let mut d = typed(vec![DraftAction::Type(Field::Password, "typed".into())]);
        d.apply(DraftAction::Edit(listed("xoauth2")));
        assert_eq!(
            (d.host.as_str(), d.port.as_str(), d.tls, d.username.as_str()),
            ("127.0.0.1", "1143", false, "rep")
        );
        assert_eq!(d.folders, "INBOX, Replies");
        assert_eq!(
            (d.auth, d.password.as_str(), d.token.as_str()),
            (AuthMethod::Token, "", "")
        );
        assert_eq!(
            d.secret_hint().as_deref(),
            Some("Leave empty to keep the stored token.")
        );
        let request = d.request();
        d.apply(DraftAction::Type(Field::Username, "other".into()));
        assert_eq!(
            d.secret_hint().as_deref(),
            Some("The server or user name changed, so enter its token.")
        );
        d.apply(DraftAction::Type(Field::Username, " rep ".into()));
        assert_eq!(request, d.request());
        check(
            &d,
            serde_json::json!({
                "address": "rep@seller.example", "user_id": 3,
                "imap": { "host": "127.0.0.1", "port": 1143, "tls": false, "username": "rep",
                          "folders": ["INBOX", "Replies"] },
            }),
        );
        d.apply(DraftAction::Reset);
        assert_eq!(d, MailboxDraft::default());
    }

    #[test]
    fn a_webhook_only_mailbox_has_no_stored_secret_to_keep() {
        let mut view = listed("password");
        view.imap = None;
        let d = typed(vec![DraftAction::Edit(view)]);
        assert_eq!((d.host.as_str(), d.tls, d.secret_hint()), ("", true, None));
    }

    #[test]
    fn rows_say_how_the_mailbox_is_read() {
        let mut m = listed("password");
        assert_eq!(
            describe(&m),
            "IMAP 127.0.0.1:1143 without TLS as rep · INBOX, Replies"
        );
        if let Some(i) = m.imap.as_mut() {
            (i.tls, i.port, i.auth, i.folders) = (true, 993, "xoauth2".into(), vec![]);
        }
        assert_eq!(describe(&m), "IMAP 127.0.0.1:993 as rep (OAuth2) · INBOX");
        m.imap = None;
        assert_eq!(describe(&m), "Webhook only");
    }
}
