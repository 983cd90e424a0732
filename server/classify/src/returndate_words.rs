//! The vocabulary behind `returndate`: a tokenizer, month and weekday names, "tomorrow", and the
//! cues ("back on", "bis", "jusqu'au", "まで", ...) that say whether a date is the first day
//! back or the last day away. Returns every cued date mention, already turned into a first
//! day back. A long table of words is the point of this file. Imports only `calendar` (date
//! arithmetic), never `returndate`, which is its one user.

use chrono::{Duration, NaiveDate};

use crate::calendar::{next_weekday, with_year};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cue {
    /// The date is the first day back.
    Back,
    /// The date is the last day away.
    Until,
}

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("januar", 1),
    ("jänner", 1),
    ("janvier", 1),
    ("enero", 1),
    ("janeiro", 1),
    ("gennaio", 1),
    ("januari", 1),
    ("tammikuu", 1),
    ("tammikuuta", 1),
    ("stycznia", 1),
    ("styczeń", 1),
    ("february", 2),
    ("feb", 2),
    ("februar", 2),
    ("février", 2),
    ("fevrier", 2),
    ("febrero", 2),
    ("fevereiro", 2),
    ("febbraio", 2),
    ("februari", 2),
    ("helmikuu", 2),
    ("helmikuuta", 2),
    ("lutego", 2),
    ("luty", 2),
    ("march", 3),
    ("mar", 3),
    ("märz", 3),
    ("maerz", 3),
    ("mars", 3),
    ("marzo", 3),
    ("março", 3),
    ("marco", 3),
    ("maart", 3),
    ("marts", 3),
    ("maaliskuu", 3),
    ("maaliskuuta", 3),
    ("marca", 3),
    ("marzec", 3),
    ("april", 4),
    ("apr", 4),
    ("avril", 4),
    ("abril", 4),
    ("aprile", 4),
    ("huhtikuu", 4),
    ("huhtikuuta", 4),
    ("kwietnia", 4),
    ("kwiecień", 4),
    ("may", 5),
    ("mai", 5),
    ("mayo", 5),
    ("maio", 5),
    ("maggio", 5),
    ("mei", 5),
    ("maj", 5),
    ("toukokuu", 5),
    ("toukokuuta", 5),
    ("maja", 5),
    ("june", 6),
    ("jun", 6),
    ("juni", 6),
    ("juin", 6),
    ("junio", 6),
    ("junho", 6),
    ("giugno", 6),
    ("kesäkuu", 6),
    ("kesäkuuta", 6),
    ("czerwca", 6),
    ("czerwiec", 6),
    ("july", 7),
    ("jul", 7),
    ("juli", 7),
    ("juillet", 7),
    ("julio", 7),
    ("julho", 7),
    ("luglio", 7),
    ("heinäkuu", 7),
    ("heinäkuuta", 7),
    ("lipca", 7),
    ("lipiec", 7),
    ("august", 8),
    ("aug", 8),
    ("août", 8),
    ("aout", 8),
    ("agosto", 8),
    ("augustus", 8),
    ("augusti", 8),
    ("elokuu", 8),
    ("elokuuta", 8),
    ("sierpnia", 8),
    ("sierpień", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septembre", 9),
    ("septiembre", 9),
    ("setiembre", 9),
    ("setembro", 9),
    ("settembre", 9),
    ("syyskuu", 9),
    ("syyskuuta", 9),
    ("września", 9),
    ("wrzesień", 9),
    ("october", 10),
    ("oct", 10),
    ("oktober", 10),
    ("octobre", 10),
    ("octubre", 10),
    ("outubro", 10),
    ("ottobre", 10),
    ("lokakuu", 10),
    ("lokakuuta", 10),
    ("października", 10),
    ("październik", 10),
    ("november", 11),
    ("nov", 11),
    ("novembre", 11),
    ("noviembre", 11),
    ("novembro", 11),
    ("marraskuu", 11),
    ("marraskuuta", 11),
    ("listopada", 11),
    ("listopad", 11),
    ("december", 12),
    ("dec", 12),
    ("dezember", 12),
    ("décembre", 12),
    ("decembre", 12),
    ("diciembre", 12),
    ("dezembro", 12),
    ("dicembre", 12),
    ("desember", 12),
    ("joulukuu", 12),
    ("joulukuuta", 12),
    ("grudnia", 12),
    ("grudzień", 12),
];

/// Weekday names (0 = Monday), including common inflections.
const WEEKDAYS: &[(&str, u32)] = &[
    ("monday", 0),
    ("montag", 0),
    ("lundi", 0),
    ("lunes", 0),
    ("segunda", 0),
    ("lunedì", 0),
    ("lunedi", 0),
    ("maandag", 0),
    ("måndag", 0),
    ("mandag", 0),
    ("maanantai", 0),
    ("maanantaina", 0),
    ("poniedziałek", 0),
    ("poniedziałku", 0),
    ("pirmdien", 0),
    ("tuesday", 1),
    ("dienstag", 1),
    ("mardi", 1),
    ("martes", 1),
    ("terça", 1),
    ("terca", 1),
    ("martedì", 1),
    ("martedi", 1),
    ("dinsdag", 1),
    ("tisdag", 1),
    ("tirsdag", 1),
    ("tiistai", 1),
    ("tiistaina", 1),
    ("wtorek", 1),
    ("wtorku", 1),
    ("otrdien", 1),
    ("wednesday", 2),
    ("mittwoch", 2),
    ("mercredi", 2),
    ("miércoles", 2),
    ("miercoles", 2),
    ("quarta", 2),
    ("mercoledì", 2),
    ("mercoledi", 2),
    ("woensdag", 2),
    ("onsdag", 2),
    ("keskiviikko", 2),
    ("keskiviikkona", 2),
    ("środa", 2),
    ("środę", 2),
    ("środy", 2),
    ("trešdien", 2),
    ("thursday", 3),
    ("donnerstag", 3),
    ("jeudi", 3),
    ("jueves", 3),
    ("quinta", 3),
    ("giovedì", 3),
    ("giovedi", 3),
    ("donderdag", 3),
    ("torsdag", 3),
    ("torstai", 3),
    ("torstaina", 3),
    ("czwartek", 3),
    ("czwartku", 3),
    ("ceturtdien", 3),
    ("friday", 4),
    ("freitag", 4),
    ("vendredi", 4),
    ("viernes", 4),
    ("sexta", 4),
    ("venerdì", 4),
    ("venerdi", 4),
    ("vrijdag", 4),
    ("fredag", 4),
    ("perjantai", 4),
    ("perjantaina", 4),
    ("piątek", 4),
    ("piątku", 4),
    ("piektdien", 4),
    ("saturday", 5),
    ("samstag", 5),
    ("sonnabend", 5),
    ("samedi", 5),
    ("sábado", 5),
    ("sabado", 5),
    ("sabato", 5),
    ("zaterdag", 5),
    ("lördag", 5),
    ("lørdag", 5),
    ("lauantai", 5),
    ("lauantaina", 5),
    ("sobota", 5),
    ("sobotę", 5),
    ("soboty", 5),
    ("sestdien", 5),
    ("sunday", 6),
    ("sonntag", 6),
    ("dimanche", 6),
    ("domingo", 6),
    ("domenica", 6),
    ("zondag", 6),
    ("söndag", 6),
    ("søndag", 6),
    ("sunnuntai", 6),
    ("sunnuntaina", 6),
    ("niedziela", 6),
    ("niedzielę", 6),
    ("niedzieli", 6),
    ("svētdien", 6),
];

const TOMORROW: &[&str] = &[
    "tomorrow", "morgen", "demain", "mañana", "amanhã", "domani", "imorgon", "huomenna", "jutro",
    "明日", "明天",
];

/// Cues before a date meaning "first day back".
const BACK: &[&str] = &[
    "back",
    "return",
    "returning",
    "in the office on",
    "available again",
    "again on",
    "again from",
    "reachable",
    "zurück",
    "zurueck",
    "wieder",
    "retour",
    "reprendrai",
    "de vuelta",
    "regreso",
    "regresaré",
    "regresare",
    "volveré",
    "volvere",
    "reincorporo",
    "retorno",
    "regressarei",
    "volto",
    "de volta",
    "rientro",
    "rientrerò",
    "ritorno",
    "terug",
    "weer",
    "tillbaka",
    "åter",
    "tilbage",
    "tilbake",
    "igen",
    "igjen",
    "palaan",
    "takaisin",
    "paikalla",
    "wracam",
    "powrócę",
    "z powrotem",
    "dostępn",
    "available",
    "erreichbar",
    "joignable",
    "disponible",
    "disponível",
    "raggiungibile",
    "bereikbaar",
    "anträffbar",
    "tavoitettavissa",
];

/// Cues before a date meaning "last day away".
const UNTIL: &[&str] = &[
    "until",
    "till",
    "til",
    "through",
    "thru",
    "bis",
    "einschließlich",
    "jusqu'au",
    "jusqu’au",
    "jusqu'à",
    "jusqu’à",
    "hasta",
    "até",
    "fino al",
    "fino a",
    "tot en met",
    "t/m",
    "t.o.m",
    "till och med",
    "til og med",
    "至",
    "直到",
    "到",
];

/// Short range words ("du 1 au 5", "10-31"): until-cues only when no back-cue is nearer.
const RANGE: &[&str] = &["to", "-", "–", "—", "au", "al", "tot", "do", "ate"];

const POST_UNTIL: &[&str] = &["asti", "saakka", "まで", "迄", "为止", "為止"];
const POST_BACK: &[&str] = &[
    "wieder", "weer", "igen", "igjen", "again", "から", "より", "に戻", "出社", "回来", "返回",
    "回到", "上班",
];

#[derive(Debug)]
enum Tok<'a> {
    Num(u32, usize),
    Word(&'a str),
    Punct(char),
}

fn is_cjk(c: char) -> bool {
    c as u32 >= 0x3000
}

fn tokenize(s: &str) -> Vec<(usize, usize, Tok<'_>)> {
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c.is_ascii_digit() {
            let mut end = i + 1;
            while let Some(&(j, d)) = it.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                end = j + 1;
                it.next();
            }
            let n = s[i..end].parse::<u32>().unwrap_or(u32::MAX);
            out.push((i, end, Tok::Num(n, end - i)));
        } else if is_cjk(c) {
            out.push((i, i + c.len_utf8(), Tok::Word(&s[i..i + c.len_utf8()])));
        } else if c.is_alphabetic() {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = it.peek() {
                if !d.is_alphabetic() || is_cjk(d) {
                    break;
                }
                end = j + d.len_utf8();
                it.next();
            }
            out.push((i, end, Tok::Word(&s[i..end])));
        } else if !c.is_whitespace() {
            out.push((i, i + c.len_utf8(), Tok::Punct(c)));
        }
    }
    out
}

fn month(w: &str) -> Option<u32> {
    MONTHS.iter().find(|(n, _)| *n == w).map(|(_, m)| *m)
}

fn weekday(w: &str) -> Option<u32> {
    WEEKDAYS.iter().find(|(n, _)| *n == w).map(|(_, d)| *d)
}

/// One date written in the text: byte span, resolved date, and a cue the pattern itself fixes.
struct Mention {
    start: usize,
    end: usize,
    date: NaiveDate,
    forced: Option<Cue>,
}

/// Every date mention in `s` (lower-cased) that carries a cue, as `(cue, first day back)`.
pub(crate) fn mentions(s: &str, base: NaiveDate) -> Vec<(Cue, NaiveDate)> {
    let toks = tokenize(s);
    let mut found = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let (m, used) = match_at(s, &toks, i, base);
        found.extend(m);
        i += used.max(1);
    }
    found
        .into_iter()
        .filter_map(|m| {
            let cue = m.forced.or_else(|| cue_for(s, m.start, m.end))?;
            let d = if cue == Cue::Until {
                m.date + Duration::days(1)
            } else {
                m.date
            };
            Some((cue, d))
        })
        .collect()
}

fn num(toks: &[(usize, usize, Tok<'_>)], i: usize) -> Option<(u32, usize)> {
    match toks.get(i) {
        Some((_, _, Tok::Num(n, len))) => Some((*n, *len)),
        _ => None,
    }
}

fn word<'a>(toks: &[(usize, usize, Tok<'a>)], i: usize) -> Option<&'a str> {
    match toks.get(i) {
        Some((_, _, Tok::Word(w))) => Some(w),
        _ => None,
    }
}

fn punct(toks: &[(usize, usize, Tok<'_>)], i: usize) -> Option<char> {
    match toks.get(i) {
        Some((_, _, Tok::Punct(c))) => Some(*c),
        _ => None,
    }
}

fn span(toks: &[(usize, usize, Tok<'_>)], a: usize, b: usize) -> (usize, usize) {
    let start = toks.get(a).map(|t| t.0).unwrap_or(0);
    let end = toks
        .get(b.min(toks.len().saturating_sub(1)))
        .map(|t| t.1)
        .unwrap_or(start);
    (start, end)
}

/// Patterns starting at token `i`: the mentions found and how many tokens they used.
fn match_at(
    s: &str,
    t: &[(usize, usize, Tok<'_>)],
    i: usize,
    base: NaiveDate,
) -> (Vec<Mention>, usize) {
    let mk = |a: usize, b: usize, date: Option<NaiveDate>, forced: Option<Cue>| {
        let (start, end) = span(t, a, b);
        date.map(|date| Mention {
            start,
            end,
            date,
            forced,
        })
    };
    // ISO 2024-05-06 and CJK 2024年5月6日 / 5月6日.
    if let Some((y, 4)) = num(t, i) {
        if punct(t, i + 1) == Some('-') && punct(t, i + 3) == Some('-') {
            if let (Some((m, _)), Some((d, _))) = (num(t, i + 2), num(t, i + 4)) {
                let date = NaiveDate::from_ymd_opt(y as i32, m, d);
                return (mk(i, i + 4, date, None).into_iter().collect(), 5);
            }
        }
        if word(t, i + 1) == Some("年") {
            if let (Some((m, _)), Some("月"), Some((d, _))) =
                (num(t, i + 2), word(t, i + 3), num(t, i + 4))
            {
                let date = NaiveDate::from_ymd_opt(y as i32, m, d);
                return (mk(i, i + 5, date, None).into_iter().collect(), 6);
            }
        }
    }
    if let Some((a, alen)) = num(t, i) {
        if alen > 2 {
            return (Vec::new(), 1);
        }
        // 5月6日
        if word(t, i + 1) == Some("月") {
            if let Some((d, _)) = num(t, i + 2) {
                return (
                    mk(i, i + 3, with_year(base, a, d, None), None)
                        .into_iter()
                        .collect(),
                    3,
                );
            }
        }
        // Numeric a.b[.c], a/b[/c], a-b-c
        if let (Some(sep), Some((b, blen))) = (punct(t, i + 1), num(t, i + 2)) {
            if matches!(sep, '.' | '/' | '-') && blen <= 2 {
                let year = (punct(t, i + 3) == Some(sep))
                    .then(|| num(t, i + 4))
                    .flatten()
                    .filter(|(_, l)| *l == 2 || *l == 4)
                    .map(|(y, _)| y as i32);
                let used = if year.is_some() { 5 } else { 3 };
                let english = sep == '/' && english_context(s, t[i].0);
                let (d, m) = if english && b <= 31 && a <= 12 {
                    (b, a)
                } else {
                    (a, b)
                };
                let date = with_year(base, m, d, year).or_else(|| with_year(base, d, m, year));
                if sep != '-' || year.is_some() {
                    return (mk(i, i + used - 1, date, None).into_iter().collect(), used);
                }
            }
        }
        // 5th of May 2024 / 3. Juni / 5 de mayo de 2024
        let mut j = i + 1;
        if punct(t, j) == Some('.')
            || word(t, j).is_some_and(|w| matches!(w, "st" | "nd" | "rd" | "th" | "er" | "e" | "º"))
        {
            j += 1;
        }
        if word(t, j).is_some_and(|w| matches!(w, "de" | "of" | "del" | "di")) {
            j += 1;
        }
        if let Some(m) = word(t, j).and_then(month) {
            let (year, used) = year_after(t, j + 1);
            return (
                mk(i, j + used, with_year(base, m, a, year), None)
                    .into_iter()
                    .collect(),
                j + 1 + used - i,
            );
        }
        return (Vec::new(), 1);
    }
    if let Some(w) = word(t, i) {
        // May 5th[, 2024][-31]
        if let Some(m) = month(w) {
            let mut j = i + 1;
            if punct(t, j) == Some('.') {
                j += 1;
            }
            if let Some((d, dl)) = num(t, j).filter(|(_, l)| *l <= 2) {
                let _ = dl;
                let mut k = j + 1;
                if word(t, k).is_some_and(|w| matches!(w, "st" | "nd" | "rd" | "th")) {
                    k += 1;
                }
                let (year, used) = year_after(t, k);
                let mut out: Vec<Mention> = mk(i, k - 1 + used, with_year(base, m, d, year), None)
                    .into_iter()
                    .collect();
                let r = k + used;
                let range = matches!(punct(t, r), Some('-' | '–'))
                    || word(t, r).is_some_and(|w| {
                        matches!(w, "to" | "till" | "until" | "through" | "bis" | "tot")
                    });
                if range {
                    if let Some((d2, 1..=2)) = num(t, r + 1) {
                        out.extend(mk(
                            r + 1,
                            r + 1,
                            with_year(base, m, d2, year),
                            Some(Cue::Until),
                        ));
                        return (out, r + 2 - i);
                    }
                }
                return (out, k + used - i);
            }
            return (Vec::new(), 1);
        }
        if let Some(wd) = weekday(w) {
            // "Monday, 12 May": the absolute date that follows wins.
            let mut j = i + 1;
            if matches!(punct(t, j), Some(',')) || word(t, j) == Some("the") {
                j += 1;
            }
            if !match_at(s, t, j, base).0.is_empty() {
                return (Vec::new(), 1);
            }
            let next = word(t, i.wrapping_sub(1)).is_some_and(|p| {
                matches!(p, "next" | "nächsten" | "prochain" | "próximo" | "prossimo")
            });
            let _ = next;
            return (
                mk(i, i, Some(next_weekday(base, wd)), None)
                    .into_iter()
                    .collect(),
                1,
            );
        }
        if TOMORROW.contains(&w) {
            return (
                mk(i, i, Some(base + Duration::days(1)), None)
                    .into_iter()
                    .collect(),
                1,
            );
        }
        // CJK weekdays: 月曜日, 星期一, 周一
        if let Some(wd) = cjk_weekday(t, i) {
            return (
                mk(i, i + 1, Some(next_weekday(base, wd)), None)
                    .into_iter()
                    .collect(),
                2,
            );
        }
    }
    (Vec::new(), 1)
}

fn cjk_weekday(t: &[(usize, usize, Tok<'_>)], i: usize) -> Option<u32> {
    let w = word(t, i)?;
    let n = word(t, i + 1)?;
    let idx = |c: &str, set: &[&str]| set.iter().position(|x| *x == c).map(|p| p as u32);
    if n == "曜" {
        return idx(w, &["月", "火", "水", "木", "金", "土", "日"]);
    }
    if matches!(w, "期" | "周" | "週") {
        return idx(n, &["一", "二", "三", "四", "五", "六", "日"])
            .or_else(|| (n == "天").then_some(6));
    }
    None
}

fn year_after(t: &[(usize, usize, Tok<'_>)], j: usize) -> (Option<i32>, usize) {
    let mut k = j;
    if matches!(punct(t, k), Some(',')) || word(t, k) == Some("de") {
        k += 1;
    }
    match num(t, k) {
        Some((y, 4)) if (1990..2100).contains(&y) => (Some(y as i32), k + 1 - j),
        _ => (None, 0),
    }
}

fn english_context(s: &str, pos: usize) -> bool {
    let pre = window_before(s, pos, 40);
    ["until", "back", "return", "through", "till", "office"]
        .iter()
        .any(|w| pre.contains(w))
}

fn window_before(s: &str, pos: usize, n: usize) -> &str {
    let mut a = pos.saturating_sub(n);
    while a > 0 && !s.is_char_boundary(a) {
        a -= 1;
    }
    let mut pre = &s[a..pos];
    if let Some(k) = pre.rfind("\n\n") {
        pre = &pre[k + 2..];
    }
    // A sentence end ("juni. Vanaf"): a period after a letter, not after a day number.
    let b = pre.as_bytes();
    if let Some(k) = (1..b.len())
        .rev()
        .find(|&k| b[k] == b' ' && b[k - 1] == b'.' && k >= 2 && b[k - 2].is_ascii_alphabetic())
    {
        pre = &pre[k..];
    }
    pre
}

fn window_after(s: &str, pos: usize, n: usize) -> &str {
    let mut b = (pos + n).min(s.len());
    while b < s.len() && !s.is_char_boundary(b) {
        b += 1;
    }
    &s[pos..b]
}

/// End offset of the nearest occurrence of any cue in `hay` as a whole word.
fn nearest(hay: &str, cues: &[&str]) -> Option<usize> {
    let mut best = None;
    for c in cues {
        let mut from = hay.len();
        while let Some(p) = hay[..from].rfind(c) {
            let end = p + c.len();
            let alnum_edge =
                |ch: Option<char>| ch.is_some_and(|x| x.is_alphanumeric() && !is_cjk(x));
            let needs = c
                .chars()
                .next()
                .is_some_and(|x| x.is_alphanumeric() && !is_cjk(x));
            let left_ok = !needs || !alnum_edge(hay[..p].chars().next_back());
            let right_ok = !needs || !alnum_edge(hay[end..].chars().next()) || c.ends_with('\'');
            if left_ok && right_ok {
                best = best.max(Some(end));
                break;
            }
            from = p;
        }
    }
    best
}

fn cue_for(s: &str, start: usize, end: usize) -> Option<Cue> {
    let pre = window_before(s, start, 50);
    let back = nearest(pre, BACK);
    let until = nearest(pre, UNTIL);
    let range = nearest(pre, RANGE);
    match (back, until) {
        (Some(b), Some(u)) => return Some(if b > u { Cue::Back } else { Cue::Until }),
        (Some(_), None) => return Some(Cue::Back),
        (None, Some(_)) => return Some(Cue::Until),
        (None, None) => {}
    }
    let post = window_after(s, end, 24);
    if POST_UNTIL.iter().any(|c| post.contains(c)) {
        return Some(Cue::Until);
    }
    if POST_BACK.iter().any(|c| post.contains(c)) {
        return Some(Cue::Back);
    }
    range.map(|_| Cue::Until)
}
