//! Placeholders in raw answers: `{{request.body.PATH}}`, `{{request.query.NAME}}`,
//! `{{request.headers.NAME}}`, `{{request.method}}`, `{{request.path}}`, `{{id}}` (one fresh
//! UUID per answer), `{{now}}` (ISO-8601 sandbox time), `{{now_ms}}`, `{{namespace}}`.
//!
//! A string that is exactly one placeholder becomes that value with its JSON type (a number
//! stays a number); inside a longer string the value is written as text. A value that is absent
//! is `null` (alone) or empty text.

use serde_json::Value;

use super::matching::Subject;
use crate::clock::{Millis, iso8601};

/// What placeholders are filled from.
pub struct Context<'a> {
    pub subject: &'a Subject,
    pub id: String,
    pub now_ms: Millis,
    pub namespace: &'a str,
}

/// Checks every placeholder in `value` (strings, object values, array items) when the file is
/// read, so a typo is a load error with a position, not an empty field at run time.
pub fn check(value: &Value) -> Result<(), String> {
    match value {
        Value::String(s) => placeholders(s).try_for_each(|p| p.and_then(known)),
        Value::Array(items) => items.iter().try_for_each(check),
        Value::Object(map) => map.values().try_for_each(check),
        _ => Ok(()),
    }
}

/// `value` with its placeholders filled in.
pub fn render(value: &Value, ctx: &Context) -> Value {
    match value {
        Value::String(s) => render_string(s, ctx),
        Value::Array(items) => Value::Array(items.iter().map(|v| render(v, ctx)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), render(v, ctx)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A header value with its placeholders filled in, as text.
pub fn render_text(s: &str, ctx: &Context) -> String {
    as_text(&render_string(s, ctx))
}

fn render_string(s: &str, ctx: &Context) -> Value {
    let trimmed = s.trim();
    if let Some(name) = trimmed
        .strip_prefix("{{")
        .and_then(|r| r.strip_suffix("}}"))
        .filter(|n| !n.contains("{{") && !n.contains("}}"))
    {
        return lookup(name.trim(), ctx);
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&as_text(&lookup(rest[start + 2..start + end].trim(), ctx)));
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Value::String(out)
}

fn as_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn lookup(name: &str, ctx: &Context) -> Value {
    let pair = |pairs: &[(String, String)], key: &str| {
        pairs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(key))
            .map_or(Value::Null, |(_, v)| Value::String(v.clone()))
    };
    match name {
        "id" => Value::String(ctx.id.clone()),
        "now" => Value::String(iso8601(ctx.now_ms)),
        "now_ms" => Value::from(ctx.now_ms),
        "namespace" => Value::String(ctx.namespace.to_string()),
        "request.method" => Value::String(ctx.subject.method.clone()),
        "request.path" => Value::String(ctx.subject.path.clone()),
        _ => {
            if let Some(path) = name.strip_prefix("request.body.") {
                let segments: Vec<String> = path.split('.').map(str::to_string).collect();
                ctx.subject
                    .body_at(&segments)
                    .cloned()
                    .unwrap_or(Value::Null)
            } else if let Some(key) = name.strip_prefix("request.query.") {
                pair(&ctx.subject.query, key)
            } else if let Some(key) = name.strip_prefix("request.headers.") {
                pair(&ctx.subject.headers, key)
            } else {
                Value::Null
            }
        }
    }
}

/// The placeholder names in `s`, or an error for an unclosed `{{`.
fn placeholders(s: &str) -> impl Iterator<Item = Result<&str, String>> {
    let mut rest = s;
    std::iter::from_fn(move || {
        let start = rest.find("{{")?;
        match rest[start..].find("}}") {
            Some(end) => {
                let name = rest[start + 2..start + end].trim();
                rest = &rest[start + end + 2..];
                Some(Ok(name))
            }
            None => {
                rest = "";
                Some(Err(format!("unclosed placeholder in {s:?}: expected }}}}")))
            }
        }
    })
}

fn known(name: &str) -> Result<(), String> {
    let fixed = [
        "id",
        "now",
        "now_ms",
        "namespace",
        "request.method",
        "request.path",
    ];
    let prefixed = ["request.body.", "request.query.", "request.headers."];
    let ok = fixed.contains(&name)
        || prefixed
            .iter()
            .any(|p| name.strip_prefix(p).is_some_and(|rest| !rest.is_empty()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "unknown placeholder {{{{{name}}}}}: expected one of {{{{id}}}}, {{{{now}}}}, {{{{now_ms}}}}, {{{{namespace}}}}, {{{{request.method}}}}, {{{{request.path}}}}, {{{{request.body.PATH}}}}, {{{{request.query.NAME}}}}, {{{{request.headers.NAME}}}}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fills_placeholders_keeping_json_types() {
        let subject = Subject {
            method: "POST".into(),
            query: vec![("page".into(), "2".into())],
            headers: vec![("x-team".into(), "blue".into())],
            body: json!({"email": "a@b.c", "n": 3, "items": [{"id": "i0"}]}),
            ..Subject::default()
        };
        let ctx = Context {
            subject: &subject,
            id: "uuid-1".into(),
            now_ms: 0,
            namespace: "ns",
        };
        let template = json!({
            "email": "{{request.body.email}}",
            "n": "{{ request.body.n }}",
            "first": "{{request.body.items.0.id}}",
            "text": "user {{request.body.email}} #{{request.body.n}} p{{request.query.page}} {{request.headers.X-Team}}",
            "id": "{{id}}", "again": "{{id}}", "at": "{{now}}", "ns": "{{namespace}}",
            "missing": "{{request.body.nope}}", "list": ["{{request.method}}"]
        });
        check(&template).expect("valid");
        assert_eq!(
            render(&template, &ctx),
            json!({
                "email": "a@b.c", "n": 3, "first": "i0",
                "text": "user a@b.c #3 p2 blue",
                "id": "uuid-1", "again": "uuid-1", "at": "1970-01-01T00:00:00.000Z", "ns": "ns",
                "missing": null, "list": ["POST"]
            })
        );
    }

    #[test]
    fn rejects_unknown_and_unclosed_placeholders() {
        assert!(check(&json!({"a": ["{{request.bodyy.x}}"]})).is_err());
        assert!(check(&json!("{{request.body.}}")).is_err());
        assert!(check(&json!("x {{id")).unwrap_err().contains("unclosed"));
        assert!(check(&json!("plain { text }")).is_ok());
    }
}
