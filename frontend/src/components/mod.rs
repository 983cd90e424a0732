//! Presentational components: props in, callbacks out. They never touch Office.js, the network or
//! the clock while rendering (time arrives as a [`Clock`](crate::clock::Clock) prop), so each one
//! renders natively with `yew::LocalServerRenderer` in snapshot tests. Effects may move focus.
//! Must not depend on `api/`, `host/` or `views/`.

mod banner;
mod contact;
mod dialog;
mod enrollments;
mod feedback;
mod mailboxes;
mod panel;
mod performance;
mod recipient;
mod scheduled;
mod sequences;
mod signin;

pub use banner::{EnrollmentBanner, EnrollmentBannerProps};
pub use contact::{
    ContactHeader, ContactHeaderProps, EnrollmentCard, EnrollmentCardProps, Timeline, TimelineProps,
};
pub use dialog::{ConfirmDialog, ConfirmDialogProps};
pub use enrollments::{EnrollmentsTable, EnrollmentsTableProps, PendingUnenroll};
pub use feedback::{
    Announcer, AnnouncerProps, ErrorNotice, ErrorNoticeProps, Loading, LoadingProps,
};
pub use mailboxes::{edit_button_id, MailboxForm, MailboxFormProps, MailboxList, MailboxListProps};
pub use panel::{PanelBody, PanelBodyProps, PanelState};
pub use performance::{PerformanceFigures, PerformanceFiguresProps};
pub use recipient::{recipient_status, RecipientCard, RecipientCardProps, RecipientStatus};
pub use scheduled::{ScheduledTable, ScheduledTableProps};
pub use sequences::{ContactTable, ContactTableProps, SequenceTable, SequenceTableProps};
pub use signin::{SignInForm, SignInFormProps};

/// Where an inline unenroll stands: the button, the confirmation, the request, or its failure.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum UnenrollUi {
    #[default]
    Idle,
    Confirming,
    Working,
    Failed(String),
}
