//! [`App`]: the cheap-to-clone handle every handler gets.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::config::Config;
use crate::journal::Journal;
use crate::namespace::DEFAULT_NAMESPACE;
use crate::scenario::Catalog;
use crate::store::Store;
use crate::webhooks::Job;

#[derive(Clone)]
pub struct App {
    pub config: Arc<Config>,
    pub store: Arc<Store>,
    /// The scenarios namespaces select from, and the engine that applies them.
    pub scenarios: Arc<Catalog>,
    pub journal: Arc<Journal>,
    /// Base of every URL the server hands out, without a trailing slash.
    pub public_url: Arc<str>,
    /// Requests whose head has been read and whose answer is not yet written.
    pub in_flight: Arc<AtomicUsize>,
}

impl App {
    /// The handle `server::run` builds (and tests without a listener): a store whose namespaces
    /// are seeded by `scenarios`, webhook jobs sent to `jobs` (`None` keeps them queued).
    pub fn new(
        config: Arc<Config>,
        scenarios: Arc<Catalog>,
        jobs: Option<tokio::sync::mpsc::UnboundedSender<Job>>,
        public_url: &str,
    ) -> App {
        let seeding = scenarios.clone();
        let seeder = Box::new(move |world: &mut crate::store::World| seeding.seed_selected(world));
        App {
            journal: Arc::new(Journal::new(config.journal_size)),
            store: Arc::new(Store::new(config.clone(), jobs, seeder)),
            scenarios,
            public_url: public_url.into(),
            config,
            in_flight: Default::default(),
        }
    }

    pub fn requests_in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// `path` (starting with `/`) as an absolute URL of this server, in `namespace`: outside the
    /// default namespace the URL carries the `/ns/NAME` prefix, so a browser that follows it
    /// (a verification link, a redirect) lands in the same namespace.
    pub fn url(&self, namespace: &str, path: &str) -> String {
        self.url_with(namespace, path, 0)
    }

    /// [`App::url`] with room for `more` bytes after it (a query value the caller appends).
    pub fn url_with(&self, namespace: &str, path: &str, more: usize) -> String {
        let mut url =
            String::with_capacity(self.public_url.len() + namespace.len() + path.len() + 4 + more);
        url.push_str(&self.public_url);
        if namespace != DEFAULT_NAMESPACE {
            url.push_str("/ns/");
            url.push_str(namespace);
        }
        url.push_str(path);
        url
    }
}

/// An `App` as `server::run` wires it, without a listener: for unit tests.
#[cfg(test)]
pub fn test_app(config: Config) -> App {
    let scenarios = Arc::new(Catalog::shipped(crate::vendors::vocabulary()));
    App::new(Arc::new(config), scenarios, None, "http://sandbox.test")
}
