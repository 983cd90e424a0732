//! Return-date table: one line per phrasing, in the languages the issue names. Each case is a
//! minimal out-of-office reply (`Auto-Submitted: auto-replied`) sent on the given date.
//! Convention: the FIRST DAY BACK ("until X" gives the day after X).

use sequencer_classify::{classify, Class};

fn check(sent: &str, body: &str, expected: Option<&str>) {
    let raw = format!(
        "From: a@example.com\r\nTo: b@example.com\r\nSubject: Out of office\r\nDate: {sent}\r\nAuto-Submitted: auto-replied\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    );
    let c = classify(raw.as_bytes());
    assert_eq!(c.class, Class::Ooo, "{body}");
    let got = c.return_date.map(|d| d.to_string());
    assert_eq!(got.as_deref(), expected, "{body} -> {:?}", c.signals);
}

// Mon 2024-06-03
const MON: &str = "Mon, 3 Jun 2024 09:00:00 +0200";

#[test]
fn english() {
    check(
        MON,
        "I am out of the office and back on June 10th.",
        Some("2024-06-10"),
    );
    check(MON, "Out of office until 12 June 2024.", Some("2024-06-13"));
    check(MON, "I'm away until Friday.", Some("2024-06-08"));
    check(
        MON,
        "I am on vacation, back on Tuesday.",
        Some("2024-06-04"),
    );
    check(MON, "On leave, returning next Monday.", Some("2024-06-10"));
    check(
        MON,
        "Out of office today, back tomorrow.",
        Some("2024-06-04"),
    );
    check(MON, "On vacation June 3-14.", Some("2024-06-15"));
    check(MON, "I'm out of the office Friday.", None);
    check(MON, "I'm on vacation.", None);
}

#[test]
fn german_french_spanish_portuguese_italian() {
    check(
        MON,
        "Ich bin bis zum 7. Juni im Urlaub.",
        Some("2024-06-08"),
    );
    check(
        MON,
        "Ab dem 10.06.2024 bin ich wieder im Büro.",
        Some("2024-06-10"),
    );
    check(
        MON,
        "Je suis absent jusqu'au 14 juin. De retour le 17 juin.",
        Some("2024-06-17"),
    );
    check(
        MON,
        "Estoy de vacaciones hasta el 14 de junio.",
        Some("2024-06-15"),
    );
    check(MON, "Estou de férias até 14 de junho.", Some("2024-06-15"));
    check(
        MON,
        "Sono in ferie, rientro il 17 giugno.",
        Some("2024-06-17"),
    );
}

#[test]
fn dutch_nordic_finnish_polish() {
    check(
        MON,
        "Ik ben afwezig tot en met 14 juni.",
        Some("2024-06-15"),
    );
    check(
        MON,
        "Jag är på semester till och med 14 juni.",
        Some("2024-06-15"),
    );
    check(
        MON,
        "Jeg er på ferie og tilbage den 17. juni.",
        Some("2024-06-17"),
    );
    check(
        MON,
        "Jeg er på ferie til og med 14. juni.",
        Some("2024-06-15"),
    );
    check(MON, "Olen lomalla 14.6. asti.", Some("2024-06-15"));
    check(MON, "Jestem na urlopie do 14 czerwca.", Some("2024-06-15"));
}

#[test]
fn japanese_and_chinese() {
    check(
        MON,
        "休暇のため不在です。6月10日より出社します。",
        Some("2024-06-10"),
    );
    check(MON, "6月14日まで休暇です。", Some("2024-06-15"));
    check(MON, "我正在休假，6月10日回来。", Some("2024-06-10"));
}
