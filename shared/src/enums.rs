//! Wire enums. Each has `#[serde(other)] Unknown` so older clients survive newer servers.

use serde::{Deserialize, Serialize};

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant,)+
            #[serde(other)]
            Unknown,
        }

        impl $name {
            /// Every known variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The snake_case wire (and database) name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unknown => "unknown",
                }
            }

            /// Parses a wire name; `None` for anything unknown.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($wire => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// Account tier.
    Tier { Professional => "professional", Enterprise => "enterprise" }
);
wire_enum!(
    /// A user's paid seat; only seated users may enroll or unenroll.
    Seat {
        SalesPro => "sales_pro",
        SalesEnterprise => "sales_enterprise",
        ServicePro => "service_pro",
        ServiceEnterprise => "service_enterprise",
    }
);
wire_enum!(
    /// A user's role within the account.
    Role { Admin => "admin", User => "user" }
);
wire_enum!(
    /// A user's lifecycle status.
    UserStatus { Active => "active", Deactivated => "deactivated", Deleted => "deleted" }
);
wire_enum!(
    /// Deliverability status of a contact's primary address.
    EmailStatus { Valid => "valid", Bounced => "bounced" }
);
wire_enum!(
    /// State of an enrollment. `finished` and `unenrolled` are final.
    EnrollmentState {
        Active => "active",
        Paused => "paused",
        Finished => "finished",
        Unenrolled => "unenrolled",
    }
);
wire_enum!(
    /// Why an enrollment is paused.
    PauseReason {
        OutOfOffice => "out_of_office",
        HeldForReview => "held_for_review",
        Manual => "manual",
    }
);
wire_enum!(
    /// Why an enrollment was unenrolled (the product spec's canonical list).
    UnenrollReason {
        Replied => "replied",
        EmailedOutsideSequence => "emailed_outside_sequence",
        RepliedFromOtherAddress => "replied_from_other_address",
        EmailedFromAlias => "emailed_from_alias",
        SameCompanyReplied => "same_company_replied",
        MeetingBooked => "meeting_booked",
        Unsubscribed => "unsubscribed",
        Bounced => "bounced",
        ContactUnreachable => "contact_unreachable",
        Workflow => "workflow",
        SequenceDeleted => "sequence_deleted",
        CreatorDowngraded => "creator_downgraded",
        CreatorDeleted => "creator_deleted",
        ContactDeleted => "contact_deleted",
        Manual => "manual",
    }
);
wire_enum!(
    /// Where a manual unenroll was made.
    UnenrollSurface {
        ContactRecord => "contact_record",
        SequenceActions => "sequence_actions",
        ScheduledTab => "scheduled_tab",
        Bulk => "bulk",
        GmailPanel => "gmail_panel",
        OutlookPanel => "outlook_panel",
        Api => "api",
    }
);
wire_enum!(
    /// Kind of a sequence step.
    StepKind {
        AutomatedEmail => "automated_email",
        ManualEmailTask => "manual_email_task",
        CallTask => "call_task",
        GenericTask => "generic_task",
    }
);
wire_enum!(
    /// What caused a transition.
    ActorKind { User => "user", Rule => "rule", Workflow => "workflow", System => "system" }
);
wire_enum!(
    /// What a sequence does when an out-of-office reply arrives.
    OooPolicy { PauseUntilReturn => "pause_until_return", Ignore => "ignore" }
);
wire_enum!(
    /// How a meeting came to be recorded (decides whether it unenrolls; see the meeting rules).
    MeetingSource {
        SequenceEmailLink => "sequence_email_link",
        MeetingLink => "meeting_link",
        ContactRecord => "contact_record",
        GoogleCalendar => "google_calendar",
        OutlookCalendar => "outlook_calendar",
    }
);
wire_enum!(
    /// An external identity provider whose tokens can be exchanged for a session.
    IdentityProvider { Microsoft => "microsoft", Google => "google" }
);
