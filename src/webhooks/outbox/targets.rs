//! A namespace's webhook targets: the command line's (`--webhook`, `--webhook-secret`) and
//! those `PUT /__admin/webhook-targets` set, which a restart keeps apart.

use super::Outbox;
use crate::config::Config;
use crate::vendor::Vendor;
use crate::webhooks::Target;

/// The target `--webhook` gives `vendor` (the last, if given twice), signed with its
/// `--webhook-secret`s.
pub(super) fn configured_target(config: &Config, vendor: Vendor) -> Option<Target> {
    let (_, url) = config
        .webhooks
        .targets
        .iter()
        .rev()
        .find(|(v, _)| *v == vendor)?;
    let secrets = (config.webhooks.secrets.iter())
        .filter(|(v, _)| *v == vendor)
        .map(|(_, s)| s.clone())
        .collect();
    Some(Target {
        url: url.clone(),
        secrets,
    })
}

impl Outbox {
    /// Sets `vendor`'s target back to the command line's (or none).
    pub fn restore_configured_target(&mut self, vendor: Vendor, config: &Config) {
        match configured_target(config, vendor) {
            Some(target) => self.set_target(vendor, target),
            None => self.remove_target(vendor),
        }
    }

    pub fn target(&self, vendor: Vendor) -> Option<&Target> {
        self.targets.get(&vendor)
    }

    pub fn set_target(&mut self, vendor: Vendor, target: Target) {
        self.targets.insert(vendor, target);
    }

    pub fn remove_target(&mut self, vendor: Vendor) {
        self.targets.remove(&vendor);
    }

    /// Sets (`None`: removes) `vendor`'s target as `PUT /__admin/webhook-targets` does: kept as
    /// it is by a restart, whatever the command line says then.
    pub fn set_target_by_admin(&mut self, vendor: Vendor, target: Option<Target>) {
        match target {
            Some(target) => self.set_target(vendor, target),
            None => self.remove_target(vendor),
        }
        if let Some(admin_set) = &mut self.admin_set {
            admin_set.insert(vendor);
        }
    }

    /// Whether the saved outbox says which targets the admin API set (see `admin_set`); one
    /// saved before that keeps its targets as they are.
    pub fn knows_target_origins(&self) -> bool {
        self.admin_set.is_some()
    }

    /// At load: every target the admin API did not set becomes the current command line's
    /// (`--webhook`, `--webhook-secret`), or none, so a new receiver URL, a rotated secret or a
    /// removed `--webhook` applies to the namespaces of the state file too.
    pub fn follow_configuration(&mut self, config: &Config) {
        let Some(admin_set) = &self.admin_set else {
            return;
        };
        let configured: Vec<Vendor> = Vendor::ALL
            .into_iter()
            .filter(|vendor| !admin_set.contains(vendor))
            .collect();
        for vendor in configured {
            self.restore_configured_target(vendor, config);
        }
    }

    /// Every vendor's target in this namespace.
    pub fn targets(&self) -> impl Iterator<Item = (Vendor, &Target)> {
        self.targets.iter().map(|(v, t)| (*v, t))
    }
}
