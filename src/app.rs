//! [`App`]: the cheap-to-clone handle every handler gets.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::config::Config;
use crate::journal::Journal;
use crate::store::Store;

#[derive(Clone)]
pub struct App {
    pub config: Arc<Config>,
    pub store: Arc<Store>,
    pub journal: Arc<Journal>,
    /// Base of every URL the server hands out, without a trailing slash.
    pub public_url: Arc<str>,
    /// Requests whose head has been read and whose answer is not yet written.
    pub in_flight: Arc<AtomicUsize>,
}

impl App {
    pub fn requests_in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// `path` (starting with `/`) as an absolute URL of this server, in `namespace`: outside the
    /// default namespace the URL carries the `/ns/NAME` prefix, so a browser that follows it
    /// (a verification link, a redirect) lands in the same namespace.
    pub fn url(&self, namespace: &str, path: &str) -> String {
        if namespace == crate::router::DEFAULT_NAMESPACE {
            format!("{}{path}", self.public_url)
        } else {
            format!("{}/ns/{namespace}{path}", self.public_url)
        }
    }
}
