//! Hash routes of the web app (`/app/#/sequences/1`). Hash routing only: Office.js nulls
//! `history.pushState`, so the same bundle must never depend on it.

/// A tab of the sequence summary page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceTab {
    Enrollments,
    Scheduled,
    Performance,
}

impl SequenceTab {
    pub const ALL: [SequenceTab; 3] = [
        SequenceTab::Enrollments,
        SequenceTab::Scheduled,
        SequenceTab::Performance,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            SequenceTab::Enrollments => "enrollments",
            SequenceTab::Scheduled => "scheduled",
            SequenceTab::Performance => "performance",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SequenceTab::Enrollments => "Enrollments",
            SequenceTab::Scheduled => "Scheduled",
            SequenceTab::Performance => "Performance",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    SignIn,
    Sequences,
    Sequence { id: i64, tab: SequenceTab },
    Contacts,
    Contact { id: i64 },
    Mailboxes,
    NotFound,
}

impl Route {
    /// Parses `location.hash` (with or without the leading `#`).
    pub fn parse(hash: &str) -> Route {
        let path = hash.trim_start_matches('#');
        let path = path.split('?').next().unwrap_or_default();
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let id = |s: &str| s.parse::<i64>().ok().filter(|id| *id > 0);
        match parts.as_slice() {
            [] | ["sequences"] => Route::Sequences,
            ["signin"] => Route::SignIn,
            ["contacts"] => Route::Contacts,
            ["mailboxes"] => Route::Mailboxes,
            ["contacts", i] => id(i).map_or(Route::NotFound, |id| Route::Contact { id }),
            ["sequences", i] => id(i).map_or(Route::NotFound, |id| Route::Sequence {
                id,
                tab: SequenceTab::Enrollments,
            }),
            ["sequences", i, tab] => {
                match (
                    id(i),
                    SequenceTab::ALL.into_iter().find(|t| t.slug() == *tab),
                ) {
                    (Some(id), Some(tab)) => Route::Sequence { id, tab },
                    _ => Route::NotFound,
                }
            }
            _ => Route::NotFound,
        }
    }

    /// The `href` of a link to this route.
    pub fn href(self) -> String {
        match self {
            Route::SignIn => "#/signin".into(),
            Route::Sequences => "#/sequences".into(),
            Route::Sequence {
                id,
                tab: SequenceTab::Enrollments,
            } => format!("#/sequences/{id}"),
            Route::Sequence { id, tab } => format!("#/sequences/{id}/{}", tab.slug()),
            Route::Contacts => "#/contacts".into(),
            Route::Contact { id } => format!("#/contacts/{id}"),
            Route::Mailboxes => "#/mailboxes".into(),
            Route::NotFound => "#/".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_map_to_routes_and_back() {
        let check = |hash: &str, expected: Route| {
            assert_eq!(Route::parse(hash), expected, "{hash}");
            if expected != Route::NotFound {
                assert_eq!(Route::parse(&expected.href()), expected);
            }
        };
        check("", Route::Sequences);
        check("#/", Route::Sequences);
        check("#/sequences", Route::Sequences);
        check("#/signin", Route::SignIn);
        check("#/mailboxes", Route::Mailboxes);
        check(
            "#/sequences/1",
            Route::Sequence {
                id: 1,
                tab: SequenceTab::Enrollments,
            },
        );
        check(
            "#/sequences/7/scheduled",
            Route::Sequence {
                id: 7,
                tab: SequenceTab::Scheduled,
            },
        );
        check(
            "#/sequences/7/performance/",
            Route::Sequence {
                id: 7,
                tab: SequenceTab::Performance,
            },
        );
        check("#/contacts", Route::Contacts);
        check("#/contacts/5", Route::Contact { id: 5 });
        check("#/contacts/5?x=1", Route::Contact { id: 5 });
        check("#/contacts/abc", Route::NotFound);
        check("#/sequences/1/nope", Route::NotFound);
        check("#/elsewhere", Route::NotFound);
    }
}
