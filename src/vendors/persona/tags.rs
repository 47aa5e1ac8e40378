//! `add-tag`, `remove-tag` and `set-tags` of accounts and inquiries: `{"meta": {"tag-name":
//! "vip"}}` (a list of names for `set-tags`). Tags are kept by name; `tag-id` is refused since
//! the sandbox has no tag objects.

use serde_json::{Map, Value};

use super::Ctx;
use super::request::{BODY, Refusal, body_object, object_at, only_keys};

/// What a tag action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TagAction {
    Add,
    Remove,
    Set,
}

/// The change a tag request asks for, checked.
#[derive(Debug, Clone)]
pub(super) struct TagChange {
    action: TagAction,
    names: Vec<String>,
}

pub(super) fn parse(ctx: &Ctx, action: TagAction) -> Result<TagChange, Refusal> {
    let body = body_object(ctx, false)?;
    only_keys(&body, &["meta"], BODY)?;
    let meta = object_at(&body, "meta", BODY)?;
    only_keys(&meta, &["tag-name", "tag-id"], "meta")?;
    if meta.contains_key("tag-id") {
        return Err((
            422,
            "meta.tag-id is not supported by the sandbox (it has no tag objects); send meta.tag-name"
                .into(),
            "/meta/tag-id",
        ));
    }
    let names = match (action, meta.get("tag-name")) {
        (TagAction::Set, Some(Value::Array(items))) => items
            .iter()
            .map(|t| t.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or((
                400,
                "meta.tag-name must be an array of strings".into(),
                "/meta/tag-name",
            ))?,
        (TagAction::Set, _) => {
            return Err((
                400,
                "meta.tag-name must be an array of strings".into(),
                "/meta/tag-name",
            ));
        }
        (_, Some(Value::String(name))) if !name.trim().is_empty() => vec![name.clone()],
        (_, _) => {
            return Err((
                400,
                "meta.tag-name must be a non-empty string".into(),
                "/meta/tag-name",
            ));
        }
    };
    Ok(TagChange { action, names })
}

/// `<at>.tags` of a create or update body: names, each once, in the order given (as `set-tags`
/// keeps them).
pub(super) fn given(attrs: &Map<String, Value>, at: &str) -> Result<Option<Vec<String>>, Refusal> {
    let items = match attrs.get("tags") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => return Err((400, format!("{at}.tags must be an array of strings"), "/")),
    };
    let mut tags: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let Some(name) = item.as_str() else {
            return Err((400, format!("{at}.tags must be an array of strings"), "/"));
        };
        if !tags.iter().any(|t| t == name) {
            tags.push(name.to_string());
        }
    }
    Ok(Some(tags))
}

impl TagChange {
    /// Applies the change to `tags` (names stay unique, in the order they were added).
    pub(super) fn apply(&self, tags: &mut Vec<String>) {
        match self.action {
            TagAction::Add => {
                for name in &self.names {
                    if !tags.contains(name) {
                        tags.push(name.clone());
                    }
                }
            }
            TagAction::Remove => tags.retain(|t| !self.names.contains(t)),
            TagAction::Set => {
                tags.clear();
                for name in &self.names {
                    if !tags.contains(name) {
                        tags.push(name.clone());
                    }
                }
            }
        }
    }
}
