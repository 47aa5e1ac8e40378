//! A namespace's Persona events: looked up by id, listed oldest first, and scrubbed of what a
//! redaction removes.

use std::sync::Arc;

use super::{Account, Event, Inquiry, State};

impl State {
    pub fn event(&self, id: &str) -> Option<&Event> {
        let events = &self.events;
        (self.event_index)
            .get(id, |p| &*events[p].id)
            .map(|i| &events[i])
    }

    /// Every event, oldest first.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Removes what redaction removes from the snapshots earlier events keep of object `id`
    /// (an inquiry's fields and what its verifications extracted; an account's fields), so
    /// `GET /events` no longer shows the data. Snapshots shared by several events stay shared.
    pub(in super::super) fn redact_events_of(&mut self, id: &str) {
        let (mut inquiries, mut accounts) = (Vec::new(), Vec::new());
        for event in &mut self.events {
            if let Some(inquiry) = event.inquiry.as_mut().filter(|i| *i.id == *id) {
                replace_redacted(inquiry, &mut inquiries, Inquiry::scrub);
            }
            if let Some(account) = event.account.as_mut().filter(|a| *a.id == *id) {
                replace_redacted(account, &mut accounts, Account::scrub);
            }
        }
    }

    pub(in super::super) fn push_event(&mut self, event: Event) {
        let position = self.events.len();
        self.events.push(event);
        let events = &self.events;
        let id = &*events[position].id;
        (self.event_index).insert(id, position, |p| &*events[p].id);
    }
}

/// Replaces `snapshot` with a copy `redact` has scrubbed, made once per distinct snapshot (`done`
/// pairs each original with its copy).
fn replace_redacted<T: Clone>(
    snapshot: &mut Arc<T>,
    done: &mut Vec<(*const T, Arc<T>)>,
    redact: impl Fn(&mut T),
) {
    let original = Arc::as_ptr(snapshot);
    let copy = match done.iter().find(|(p, _)| *p == original) {
        Some((_, copy)) => Arc::clone(copy),
        None => {
            let mut copy = T::clone(snapshot);
            redact(&mut copy);
            let copy = Arc::new(copy);
            done.push((original, Arc::clone(&copy)));
            copy
        }
    };
    *snapshot = copy;
}
