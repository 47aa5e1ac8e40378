//! Which card user a Persona inquiry verifies: derived from the users' own inquiry ids.
//!
//! A map from the inquiry id to a copy of the API key and service id cost about 200 bytes and
//! three allocations a user. Instead each partner indexes its users by inquiry id
//! ([`Partner::inquiry_index`], 8 bytes a user), and one namespace-wide index files each linked
//! inquiry id under its partner's number (8 bytes a link): a lookup hashes the id once, then asks
//! the partner(s) filed under its hash bits. A user is linked to its current inquiry only
//! (creation and a KYC retry link the new one, a retry or deletion unlinks the old); seeded users
//! have none. The state file keeps the map's old shape (`inquiries`: id to `[api key,
//! serviceId]`), written from the users; on load it is rebuilt from them.

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

use super::{CardUser, Partner, State};
use crate::collections::PositionIndex;

#[derive(Debug, Default)]
pub(super) struct Links {
    /// The API key of each partner number.
    keys: Vec<String>,
    /// Linked inquiry id to its partner's number (not a record position: read with `filed`).
    partner_of: PositionIndex,
}

impl Links {
    /// Numbers a new partner.
    pub(super) fn add_partner(&mut self, api_key: &str) -> u32 {
        self.keys.push(api_key.to_string());
        u32::try_from(self.keys.len() - 1).unwrap_or(u32::MAX)
    }

    /// Files every linked user of `partner` (after its own indexes were rebuilt).
    pub(super) fn file_partner(&mut self, partner: &Partner) {
        for user in partner.users() {
            if !user.inquiry_id().is_empty() {
                (self.partner_of).insert_another(user.inquiry_id(), partner.number as usize);
            }
        }
    }
}

impl Partner {
    /// Files the user at `position` under its inquiry id, if it has one. True if newly filed.
    pub(super) fn file_inquiry(&mut self, position: usize) -> bool {
        let users = &self.users;
        let inquiry_id = users[position].inquiry_id();
        !inquiry_id.is_empty()
            && (self.inquiry_index)
                .insert(inquiry_id, position, |p| users[p].inquiry_id())
                .is_none()
    }

    /// The user whose current inquiry is `inquiry_id`.
    pub fn user_by_inquiry(&self, inquiry_id: &str) -> Option<&CardUser> {
        let users = &self.users;
        let position = (self.inquiry_index).get(inquiry_id, |p| users[p].inquiry_id())?;
        Some(&users[position])
    }
}

impl State {
    /// The partner (with its API key) and the card user that inquiry `inquiry_id` verifies.
    pub fn inquiry_link(&self, inquiry_id: &str) -> Option<(&str, &Partner, &CardUser)> {
        self.links.partner_of.filed(inquiry_id).find_map(|number| {
            let api_key = self.links.keys.get(number)?;
            let partner = self.partners.get(api_key)?;
            Some((
                api_key.as_str(),
                partner,
                partner.user_by_inquiry(inquiry_id)?,
            ))
        })
    }

    /// Links user `service_id` of `api_key` to `inquiry_id`, which must be its current inquiry
    /// (just created, or set by a retry): anything else is not linked.
    pub fn link_inquiry(&mut self, inquiry_id: &str, api_key: &str, service_id: &str) {
        let Some(partner) = self.partners.get_mut(api_key) else {
            return;
        };
        let Some(position) = partner.user_position(service_id) else {
            return;
        };
        if partner.users[position].inquiry_id() == inquiry_id && partner.file_inquiry(position) {
            let number = partner.number as usize;
            self.links.partner_of.insert_another(inquiry_id, number);
        }
    }

    /// Unlinks `inquiry_id` from user `service_id` of `api_key` once the user no longer has it
    /// (a retry replaced it, or the user was deleted). Nothing if it was not linked to them.
    pub fn unlink_inquiry(&mut self, inquiry_id: &str, api_key: &str, service_id: &str) {
        if inquiry_id.is_empty() {
            return;
        }
        let Some(partner) = self.partners.get_mut(api_key) else {
            return;
        };
        if let Some(position) = partner.user_position(service_id) {
            if partner.users[position].inquiry_id() == inquiry_id {
                return; // Still its inquiry: the link is derived from it.
            }
            // A retry changed the user's inquiry: its slot is still filed under the old id.
            if !partner.inquiry_index.remove_filed(inquiry_id, position) {
                return;
            }
        } else if partner.user_by_inquiry(inquiry_id).is_some() {
            return; // Another user's (cannot happen: ids are unique).
        }
        let number = partner.number as usize;
        self.links.partner_of.remove_filed(inquiry_id, number);
    }
}

/// The saved shape: `partners`, `inquiries` (id to `[api key, serviceId]`), the balance.
impl Serialize for State {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("State", 3)?;
        state.serialize_field("partners", &self.partners)?;
        state.serialize_field("inquiries", &SavedLinks(self))?;
        state.serialize_field("starting_balance_cents", &self.starting_balance_cents)?;
        state.end()
    }
}

struct SavedLinks<'a>(&'a State);

impl Serialize for SavedLinks<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (api_key, partner) in &self.0.partners {
            for user in partner.users() {
                if !user.inquiry_id().is_empty() {
                    map.serialize_entry(user.inquiry_id(), &(api_key, user.service_id()))?;
                }
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::{CardUserFields, Program, UserStatus};
    use super::*;

    fn user(service_id: &str, inquiry_id: &str) -> CardUser {
        let email = format!("{service_id}@x.io");
        CardUser::from(CardUserFields {
            service_id,
            first_name: "Jane",
            last_name: "Doe",
            email: &email,
            phone_number: "+14155555555",
            account_purpose: "test",
            ip_address: "203.0.113.1",
            program: Program::Custodial,
            wallet_address: None,
            redirect_url: None,
            status: UserStatus::PendingKyc,
            inquiry_id,
            verification_url: "",
            retry_count: 0,
            created_at: 1,
            last_card_created_at: None,
        })
    }

    fn link(state: &State, inquiry_id: &str) -> Option<(String, String)> {
        let (key, _, user) = state.inquiry_link(inquiry_id)?;
        Some((key.to_string(), user.service_id().to_string()))
    }

    fn pair(key: &str, service_id: &str) -> Option<(String, String)> {
        Some((key.to_string(), service_id.to_string()))
    }

    /// Creation, a retry, a deletion and a seeded user, across two partners; then the saved
    /// `inquiries` map (the old shape) and a state loaded from it answer the same.
    #[test]
    fn links_follow_the_users_and_save_in_the_old_shape() {
        let mut state = State::default();
        for (key, sid, inq) in [
            ("k1", "a", "inq_a"),
            ("k1", "b", "inq_b"),
            ("k2", "c", "inq_c"),
        ] {
            state.partner(key, 0).add_user(user(sid, inq));
            state.link_inquiry(inq, key, sid);
        }
        state.partner("k2", 0).add_user(user("seeded", ""));
        state.link_inquiry("", "k2", "seeded");
        state.link_inquiry("inq_other", "k1", "a"); // not its inquiry: not linked
        assert_eq!(link(&state, "inq_a"), pair("k1", "a"));
        assert_eq!(link(&state, "inq_c"), pair("k2", "c"));
        assert_eq!(link(&state, "inq_other"), None);
        assert_eq!(link(&state, ""), None);

        // A retry: the user's inquiry changes first, then the old is unlinked, the new linked.
        let retried = state
            .partner("k1", 0)
            .user_mut("a")
            .map(|u| u.set_inquiry("inq_a2", ""));
        assert!(retried.is_some());
        state.unlink_inquiry("inq_a", "k1", "a");
        state.link_inquiry("inq_a2", "k1", "a");
        assert_eq!(link(&state, "inq_a"), None);
        assert_eq!(link(&state, "inq_a2"), pair("k1", "a"));
        // A deletion moves the later users down; they stay found.
        let removed = state.partner("k1", 0).remove_user("a");
        state.unlink_inquiry("inq_a2", "k1", "a");
        assert!(removed.is_some());
        assert_eq!(link(&state, "inq_a2"), None);
        assert_eq!(link(&state, "inq_b"), pair("k1", "b"));
        assert_eq!(state.links.partner_of.filed("inq_a2").count(), 0);

        let saved = serde_json::to_value(&state).unwrap_or(Value::Null);
        let expected = json!({"inq_b": ["k1", "b"], "inq_c": ["k2", "c"]});
        assert_eq!(saved["inquiries"], expected);
        assert_eq!(
            saved["partners"]["k1"]["users"].as_array().map(Vec::len),
            Some(1)
        );
        let loaded: Option<State> = serde_json::from_value(saved).ok();
        let Some(mut loaded) = loaded else {
            panic!("the saved state loads");
        };
        loaded.rebuild_indexes();
        assert_eq!(link(&loaded, "inq_b"), pair("k1", "b"));
        assert_eq!(link(&loaded, "inq_c"), pair("k2", "c"));
        assert_eq!(link(&loaded, "inq_a"), None);
        // A partner added after the load gets a number of its own.
        loaded.partner("k3", 0).add_user(user("d", "inq_d"));
        loaded.link_inquiry("inq_d", "k3", "d");
        assert_eq!(link(&loaded, "inq_d"), pair("k3", "d"));
        assert_eq!(link(&loaded, "inq_c"), pair("k2", "c"));
    }
}
