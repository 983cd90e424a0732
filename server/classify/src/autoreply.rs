//! Automatic replies: RFC 3834 and vendor headers (Auto-Submitted, X-Autoreply, Apple
//! VACATION, Exchange OOF), localized subject prefixes and body phrases; then which kind:
//! out-of-office, "left the company / mailbox no longer in use", or another auto-reply.
//! Also the list-mail signal. `X-Auto-Response-Suppress` alone is deliberately not a marker:
//! Exchange puts it on ordinary human mail.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use crate::doc::Doc;
use crate::matcher::{build, hit};
use crate::{returndate, text, Class, Classification};

/// Subject prefixes/phrases of absence notices (any position in the subject).
const OOO_SUBJECTS: &[&str] = &[
    "out of office",
    "out of the office",
    "ooo:",
    "away from the office",
    "on vacation",
    "on holiday",
    "on leave",
    "vacation reply",
    "vacation",
    "abwesenheitsnotiz",
    "abwesenheit",
    "abwesend",
    "nicht im büro",
    "urlaub",
    "absence",
    "absent",
    "en congé",
    "congés",
    "fuera de la oficina",
    "fuera de oficina",
    "ausente",
    "ausencia",
    "de vacaciones",
    "fora do escritório",
    "fora do escritorio",
    "férias",
    "ferias",
    "fuori ufficio",
    "fuori sede",
    "assente",
    "in ferie",
    "afwezig",
    "niet aanwezig",
    "afwezigheid",
    "frånvarande",
    "frånvaro",
    "på semester",
    "ferie",
    "fraværende",
    "fravær",
    "poissa",
    "lomalla",
    "poissaolo",
    "nieobecność",
    "nieobecnosc",
    "poza biurem",
    "urlop",
    "不在",
    "休暇",
    "外出",
    "休假",
    "不在办公室",
    "外出中",
    "ārpus biroja",
    "arpus biroja",
    "atvaļinājum",
    "atvalinajum",
];

/// Localized "automatic reply" subject phrases (Exchange OOF uses these as prefix).
const AUTO_SUBJECTS: &[&str] = &[
    "automatic reply",
    "auto reply",
    "autoreply",
    "auto-reply",
    "auto response",
    "autoresponse",
    "autorespons",
    "auto-response",
    "automated reply",
    "automated response",
    "automatische antwort",
    "réponse automatique",
    "reponse automatique",
    "respuesta automática",
    "respuesta automatica",
    "resposta automática",
    "resposta automatica",
    "risposta automatica",
    "automatisch antwoord",
    "automatiskt svar",
    "autosvar",
    "automatisk svar",
    "automaattinen vastaus",
    "odpowiedź automatyczna",
    "odpowiedz automatyczna",
    "自動応答",
    "自動返信",
    "自動回覆",
    "自动回复",
    "自動回复",
    "automātiskā atbilde",
    "automatiska atbilde",
];

/// Body phrases of "the person or mailbox is gone".
const LEFT: &[&str] = &[
    "no longer with",
    "no longer employed",
    "no longer work",
    "no longer works",
    "has left the company",
    "has left the organization",
    "has left the organisation",
    "left the company",
    "no longer in use",
    "no longer monitored",
    "not monitored",
    "no longer active",
    "no longer part of",
    "is no longer at",
    "has left our",
    "is no longer available at this address",
    "mailbox is no longer",
    "nicht mehr im unternehmen",
    "nicht mehr für uns tätig",
    "nicht mehr bei",
    "nicht mehr tätig",
    "nicht mehr aktiv",
    "wird nicht mehr gelesen",
    "nicht mehr besetzt",
    "hat das unternehmen verlassen",
    "ne fait plus partie",
    "n'est plus",
    "n’est plus",
    "a quitté",
    "ya no trabaja",
    "ya no forma parte",
    "ya no está",
    "já não trabalha",
    "não faz mais parte",
    "nao faz mais parte",
    "não trabalha mais",
    "non lavora più",
    "non fa più parte",
    "non è più",
    "niet meer werkzaam",
    "niet langer werkzaam",
    "niet meer in gebruik",
    "inte längre",
    "slutat",
    "ikke længere",
    "ikke lenger",
    "fratrådt",
    "ei enää",
    "ei ole enää",
    "nie pracuje",
    "już nie pracuje",
    "退職",
    "离职",
    "已离开",
];

/// Body phrases of an absence.
const OOO_BODY: &[&str] = &[
    "out of office",
    "out of the office",
    "away from the office",
    "away from my desk",
    "currently away",
    "i am away",
    "i'm away",
    "am away",
    "be away",
    "on vacation",
    "on holiday",
    "on leave",
    "annual leave",
    "parental leave",
    "maternity leave",
    "paternity leave",
    "sick leave",
    "limited access to email",
    "limited access to e-mail",
    "limited access",
    "traveling",
    "travelling",
    "business trip",
    "not in the office",
    "be back",
    "returning to the office",
    "will return",
    "upon my return",
    "on my return",
    "abwesend",
    "abwesenheit",
    "urlaub",
    "nicht im büro",
    "nicht erreichbar",
    "außer haus",
    "dienstreise",
    "elternzeit",
    "absent",
    "congé",
    "vacances",
    "hors du bureau",
    "en déplacement",
    "fuera de la oficina",
    "vacaciones",
    "ausente",
    "de viaje",
    "férias",
    "ferias",
    "fora do escritório",
    "fuori ufficio",
    "ferie",
    "assente",
    "afwezig",
    "vakantie",
    "niet op kantoor",
    "ledig",
    "semester",
    "tjänsteresa",
    "frånvarande",
    "fraværende",
    "på ferie",
    "poissa",
    "lomalla",
    "nieobecn",
    "urlop",
    "poza biurem",
    "不在",
    "休暇",
    "外出",
    "休假",
    "出差",
    "不在办公室",
    "atvaļinājum",
    "atvalinajum",
    "ārpus biroja",
];

/// Strong body phrases that mark an auto-reply even without any header.
const BODY_MARKERS: &[&str] = &[
    "this is an automatic reply",
    "this is an automated reply",
    "this is an auto-reply",
    "this is an automatic response",
    "this is an automated response",
    "automatic reply",
    "i am out of the office",
    "i'm out of the office",
    "i am currently out of the office",
    "i am currently out of office",
    "i'm currently out of the office",
    "i am out of office",
    "i am currently on vacation",
    "i am on vacation",
    "i am on annual leave",
    "i am away from the office",
    "i'm currently away",
    "i will be out of the office",
    "diese nachricht wurde automatisch",
    "automatische antwort",
    "ich bin derzeit nicht im büro",
    "ich bin zurzeit nicht im büro",
    "ich bin im urlaub",
    "je suis absent",
    "je suis actuellement absent",
    "réponse automatique",
    "estoy fuera de la oficina",
    "respuesta automática",
    "estou fora do escritório",
    "estou ausente",
    "resposta automática",
    "sono fuori ufficio",
    "risposta automatica",
    "ik ben afwezig",
    "ik ben niet op kantoor",
    "automatisch antwoord",
    "jag är ledig",
    "jag är på semester",
    "jag är frånvarande",
    "jeg er på ferie",
    "jeg er fraværende",
    "olen lomalla",
    "olen poissa",
    "automaattinen vastaus",
    "jestem na urlopie",
    "jestem poza biurem",
    "odpowiedź automatyczna",
    "不在にしております",
    "休暇をいただいて",
    "自動返信",
    "我正在休假",
    "我目前不在办公室",
    "自动回复",
];

static OOO_SUBJ_AC: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| build(OOO_SUBJECTS));
static AUTO_SUBJ_AC: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| build(AUTO_SUBJECTS));
static LEFT_AC: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| build(LEFT));
static OOO_AC: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| build(OOO_BODY));
static MARKER_AC: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| build(BODY_MARKERS));

/// How sure a marker is that the reply is an absence notice.
#[derive(PartialEq, PartialOrd, Clone, Copy)]
enum Marker {
    None,
    Generic,
    Vacation,
}

fn bump(m: Marker, sig: String, signals: &mut Vec<String>, marker: &mut Marker) {
    signals.push(sig);
    if m > *marker {
        *marker = m;
    }
}

/// `Some` when the message is an automatic reply of any kind.
pub(crate) fn classify(doc: &Doc) -> Option<Classification> {
    let mut signals = Vec::new();
    let mut marker = Marker::None;
    if let Some(v) = doc.header("auto-submitted") {
        let v = v.to_ascii_lowercase();
        let token = v
            .split([';', ' ', '('])
            .next()
            .unwrap_or_default()
            .to_string();
        if token != "no" && !token.is_empty() {
            let m = if v.contains("vacation") {
                Marker::Vacation
            } else {
                Marker::Generic
            };
            bump(
                m,
                format!("header:auto-submitted={token}"),
                &mut signals,
                &mut marker,
            );
        }
    }
    for h in [
        "x-autoreply",
        "x-autorespond",
        "x-autoresponder",
        "x-auto-reply",
    ] {
        if doc.header(h).is_some_and(|v| !v.eq_ignore_ascii_case("no")) {
            bump(
                Marker::Vacation,
                format!("header:{h}"),
                &mut signals,
                &mut marker,
            );
        }
    }
    if doc
        .header("precedence")
        .is_some_and(|v| v.eq_ignore_ascii_case("auto_reply"))
    {
        bump(
            Marker::Generic,
            "header:precedence=auto_reply".into(),
            &mut signals,
            &mut marker,
        );
    }
    if doc
        .header("x-apple-action")
        .is_some_and(|v| v.eq_ignore_ascii_case("vacation"))
    {
        bump(
            Marker::Vacation,
            "header:x-apple-action=vacation".into(),
            &mut signals,
            &mut marker,
        );
    }
    if doc.header("x-ms-exchange-inbox-rules-loop").is_some() {
        bump(
            Marker::Generic,
            "header:x-ms-exchange-inbox-rules-loop".into(),
            &mut signals,
            &mut marker,
        );
    }
    if doc
        .header("x-ms-exchange-generated-message-source")
        .is_some_and(|v| v.to_ascii_lowercase().contains("rules agent"))
    {
        bump(
            Marker::Generic,
            "header:x-ms-exchange-generated-message-source".into(),
            &mut signals,
            &mut marker,
        );
    }
    let subject = doc.subject.as_str();
    if hit(&OOO_SUBJ_AC, subject) {
        bump(
            Marker::Vacation,
            "subject:ooo".into(),
            &mut signals,
            &mut marker,
        );
    } else if hit(&AUTO_SUBJ_AC, subject) {
        bump(
            Marker::Vacation,
            "subject:auto-reply".into(),
            &mut signals,
            &mut marker,
        );
    }
    let human = body_head(&doc.body);
    if marker == Marker::None && hit(&MARKER_AC, human) {
        bump(
            Marker::Generic,
            "body:auto-reply-phrase".into(),
            &mut signals,
            &mut marker,
        );
    }
    if marker == Marker::None && hit(&LEFT_AC, human) && doc.header("in-reply-to").is_none() {
        bump(
            Marker::Generic,
            "body:left-company-phrase".into(),
            &mut signals,
            &mut marker,
        );
    }
    if marker == Marker::None {
        return None;
    }
    let mut c = Classification::new(Class::AutoReplyOther);
    if hit(&LEFT_AC, human) || hit(&LEFT_AC, subject) {
        c.class = Class::LeftCompany;
        signals.push("body:left-company".into());
    } else if hit(&OOO_AC, human) || hit(&OOO_SUBJ_AC, subject) {
        c.class = Class::Ooo;
        signals.push("body:ooo".into());
    } else if marker == Marker::Vacation {
        c.class = Class::Ooo;
    }
    if c.class == Class::Ooo {
        let rd = returndate::find(doc, human);
        c.return_date = rd.date;
        c.return_at = rd.at;
        signals.extend(rd.signal);
    }
    c.signals = signals;
    Some(c)
}

/// The reply's own text: before any quoted original, at most a few KB.
pub(crate) fn body_head(body: &str) -> &str {
    text::prefix(text::cut_original(body), 4096)
}

/// A list or bulk-mail signal, if the message carries one.
pub(crate) fn list_signal(doc: &Doc) -> Option<String> {
    if doc.header("list-id").is_some() {
        return Some("header:list-id".into());
    }
    if doc.header("list-unsubscribe").is_some() {
        return Some("header:list-unsubscribe".into());
    }
    match doc.header("precedence").map(|v| v.to_ascii_lowercase()) {
        Some(v) if v == "list" || v == "bulk" || v == "junk" => {
            Some(format!("header:precedence={v}"))
        }
        _ => None,
    }
}
