//! Personalization tokens such as `{{contact.first_name}}` in step subjects and bodies.

/// Tokens a template may use. Anything else is rejected when the sequence is saved.
pub const TOKENS: &[&str] = &[
    "contact.first_name",
    "contact.last_name",
    "contact.name",
    "contact.email",
    "contact.title",
    "company.name",
    "sender.name",
    "sender.email",
    "meeting_link",
    "unsubscribe_link",
];

/// Values for one rendering, looked up by token name.
pub trait Values {
    fn get(&self, token: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> Values for F {
    fn get(&self, token: &str) -> Option<String> {
        self(token)
    }
}

/// The `{{ ... }}` tokens in `template` that are not in [`TOKENS`].
pub fn unknown_tokens(template: &str) -> Vec<String> {
    tokens(template)
        .filter(|t| !TOKENS.contains(&t.as_str()))
        .collect()
}

fn tokens(template: &str) -> impl Iterator<Item = String> + '_ {
    template
        .split("{{")
        .skip(1)
        .filter_map(|rest| rest.split_once("}}").map(|(t, _)| t.trim().to_string()))
}

/// Replaces every known token; a token without a value renders as the empty string.
pub fn render(template: &str, values: &dyn Values) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) => {
                let name = after[..close].trim();
                out.push_str(&values.get(name).unwrap_or_default());
                rest = &after[close + 2..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_render_and_unknown_ones_are_reported() {
        let values = |t: &str| match t {
            "contact.first_name" => Some("Ana".to_string()),
            "sender.name" => Some("Rep".to_string()),
            _ => None,
        };
        assert_eq!(
            render("Hi {{contact.first_name}}, {{ sender.name }} here", &values),
            "Hi Ana, Rep here"
        );
        assert_eq!(render("Hi {{contact.title}}!", &values), "Hi !");
        assert_eq!(render("broken {{contact", &values), "broken {{contact");
        assert_eq!(
            unknown_tokens("{{contact.first_name}} {{contact.shoe_size}}"),
            vec!["contact.shoe_size"]
        );
    }
}
