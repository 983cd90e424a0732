// Shared by the integration tests: renders a classification as one reviewable line.
use sequencer_classify::Classification;

pub fn render(c: &Classification) -> String {
    let mut s = c.class.as_str().to_string();
    if !c.failed_recipients.is_empty() {
        s += &format!(" rcpt={}", c.failed_recipients.join(","));
    }
    if let Some(st) = &c.bounce_status {
        s += &format!(" status={st}");
    }
    if let Some(d) = c.return_date {
        s += &format!(" back={d}");
    }
    if let Some(a) = c.return_at {
        s += &format!(" at={}", a.format("%Y-%m-%dT%H:%M:%SZ"));
    }
    if c.parse_error {
        s += " parse_error";
    }
    s += &format!(" [{}]", c.signals.join(" "));
    s
}
