//! RFC 3464 delivery-status fields: per-recipient blocks (`Final-Recipient`,
//! `Original-Recipient`, `Action`, `Status`, `Diagnostic-Code`) read from a
//! message/delivery-status part, or from the same fields written inline in a plain body.

#[derive(Debug, Default, Clone)]
pub(crate) struct RecipientStatus {
    pub recipient: Option<String>,
    pub original: Option<String>,
    pub action: Option<String>,
    pub status: Option<String>,
    pub diagnostic: String,
}

/// Reads every per-recipient block of a delivery-status text.
pub(crate) fn parse(text: &str) -> Vec<RecipientStatus> {
    let mut out: Vec<RecipientStatus> = Vec::new();
    let mut cur = RecipientStatus::default();
    // A field the current block already has starts the next block: RFC 3464 orders a block
    // Original-Recipient, Final-Recipient, Action, Status, but some MTAs write Action and
    // Status first, or leave out the blank line between blocks.
    let next_block = |cur: &mut RecipientStatus, out: &mut Vec<RecipientStatus>| {
        out.push(std::mem::take(cur));
    };
    for (name, value) in fields(text) {
        match name.as_str() {
            "final-recipient" => {
                if cur.recipient.is_some() {
                    next_block(&mut cur, &mut out);
                }
                cur.recipient = addr_of(&value);
            }
            "original-recipient" => {
                if cur.original.is_some() || (cur.recipient.is_some() && cur.status.is_some()) {
                    next_block(&mut cur, &mut out);
                }
                cur.original = addr_of(&value);
            }
            "action" => {
                if cur.action.is_some() {
                    next_block(&mut cur, &mut out);
                }
                cur.action = Some(value.to_ascii_lowercase());
            }
            "status" => {
                let code = crate::text::status_codes(&value)
                    .into_iter()
                    .next()
                    .map(|(_, s)| s);
                if code.is_some() {
                    if cur.status.is_some() && cur.action.is_none() {
                        next_block(&mut cur, &mut out);
                    }
                    cur.status = code;
                }
            }
            "diagnostic-code" => {
                cur.diagnostic.push_str(&value);
                cur.diagnostic.push(' ');
            }
            _ => {}
        }
    }
    out.push(cur);
    out.retain(|r| r.recipient.is_some() || r.original.is_some());
    out
}

/// `(lower-case name, unfolded value)` for every `Name: value` line, folding continuations.
fn fields(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        if line.starts_with([' ', '\t']) && open {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
            continue;
        }
        open = false;
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty()
            || name.len() > 40
            || !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        {
            continue;
        }
        out.push((name.to_ascii_lowercase(), value.trim().to_string()));
        open = true;
    }
    out
}

/// The address in `rfc822; <user@host>`.
fn addr_of(value: &str) -> Option<String> {
    let v = value.split_once(';').map(|(_, a)| a).unwrap_or(value);
    let v = v
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    // A quoted local part (`"first..last"@example.org`) names the same mailbox unquoted.
    let unquoted;
    let v = if v.contains('"') {
        unquoted = v.replace('"', "");
        unquoted.as_str()
    } else {
        v
    };
    crate::text::addresses(v)
        .into_iter()
        .next()
        .map(|(_, a)| a)
        .or_else(|| (!v.is_empty() && v.len() < 200).then(|| v.to_ascii_lowercase()))
}
