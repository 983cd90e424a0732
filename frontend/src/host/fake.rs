//! A host driven by tests: recipients and the token are set by hand.

use std::cell::RefCell;
use std::rc::Rc;

use shared::UnenrollSurface;
use yew::Callback;

use super::{
    forget_cached, Host, HostError, HostKind, Listeners, LocalBoxFuture, Recipient, Subscription,
};

#[derive(Clone)]
pub struct FakeHost {
    recipients: Rc<RefCell<Result<Vec<Recipient>, HostError>>>,
    token: Rc<RefCell<Option<String>>>,
    listeners: Rc<Listeners>,
}

impl FakeHost {
    pub fn new(token: Option<&str>) -> Self {
        FakeHost {
            recipients: Rc::new(RefCell::new(Ok(Vec::new()))),
            token: Rc::new(RefCell::new(token.map(str::to_string))),
            listeners: Rc::default(),
        }
    }

    /// Replaces the recipients and notifies subscribers, like a user typing.
    pub fn set_recipients(&self, recipients: Vec<Recipient>) {
        *self.recipients.borrow_mut() = Ok(recipients);
        self.listeners.notify();
    }

    pub fn fail_with(&self, error: HostError) {
        *self.recipients.borrow_mut() = Err(error);
        self.listeners.notify();
    }

    pub fn subscriber_count(&self) -> usize {
        self.listeners.len()
    }
}

impl Host for FakeHost {
    fn kind(&self) -> HostKind {
        HostKind::Fake
    }

    fn unenroll_surface(&self) -> UnenrollSurface {
        UnenrollSurface::Api
    }

    fn recipients(&self) -> LocalBoxFuture<Result<Vec<Recipient>, HostError>> {
        let current = self.recipients.borrow().clone();
        Box::pin(async move { current })
    }

    fn subscribe(&self, on_change: Callback<()>) -> Subscription {
        self.listeners.add(on_change)
    }

    fn forget_token(&self, refused: &str) {
        forget_cached(&self.token, refused);
    }

    fn access_token(&self) -> LocalBoxFuture<Result<String, HostError>> {
        let token = self.token.borrow().clone();
        Box::pin(async move { token.ok_or(HostError::NotSignedIn) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::{parse_address_line, RecipientField};

    #[test]
    fn subscribers_hear_changes_until_they_drop_their_subscription() {
        let host = FakeHost::new(Some("t"));
        let heard = Rc::new(RefCell::new(0));
        let h = heard.clone();
        let sub = host.subscribe(Callback::from(move |()| *h.borrow_mut() += 1));
        host.set_recipients(parse_address_line("a@x.io", RecipientField::To));
        assert_eq!(*heard.borrow(), 1);
        drop(sub);
        assert_eq!(host.subscriber_count(), 0);
        host.set_recipients(Vec::new());
        assert_eq!(*heard.borrow(), 1);
    }
}
