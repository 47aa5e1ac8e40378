//! The small HTML pages the sandbox serves (Persona's hosted flow, Coinflow's verification form,
//! Bitmama's KYC return page): one escaping function, one layout, and the headers every page
//! gets. Pages work without JavaScript; every interpolated value goes through [`escape`].

use crate::http::ApiResponse;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An HTML answer: never cached (it shows live state), no script or outside resource may run
/// in it, and no other page may frame it (one could overlay its buttons: clickjacking). Pages
/// meant to be framed set their own `frame-ancestors` ([`frameable_response`], the Persona SDK's
/// `/widget`, Coinflow's web-app pages).
pub fn response(status: u16, html: String) -> ApiResponse {
    ApiResponse::html(status, html)
        .with_header("cache-control", "no-store")
        .with_header(
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        )
}

/// [`response`] for a page any site may frame: a vendor documents it as hostable in an iframe.
pub fn frameable_response(status: u16, html: String) -> ApiResponse {
    ApiResponse::html(status, html)
        .with_header("cache-control", "no-store")
        .with_header(
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *",
        )
}

/// `sha256-…` of an inline script, for a page's CSP `script-src`.
pub fn script_hash(script: &str) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(script.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

const STYLE: &str = "\
:root{color-scheme:light;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;\
color:#1d1d35;background:#f4f4f8}\
body{margin:0;padding:2rem 1rem}\
main{max-width:34rem;margin:0 auto;background:#fff;border-radius:12px;padding:2rem;\
box-shadow:0 1px 3px rgba(0,0,0,.12)}\
.brand{margin:0 0 1rem;font-weight:600;color:#4a3aff}\
.badge{font-size:.75rem;font-weight:600;background:#fff4d6;color:#6b4b00;border-radius:4px;\
padding:.1rem .4rem;margin-left:.4rem}\
h1{font-size:1.5rem;margin:0 0 .5rem}h2{font-size:1.05rem;margin:1.5rem 0 .5rem}\
dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem;margin:1rem 0}\
dt{color:#55557a}dd{margin:0;overflow-wrap:anywhere}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;\
border-bottom:1px solid #e4e4ee;overflow-wrap:anywhere}th{color:#55557a;font-weight:500}\
.status{font-weight:600}\
.notice{background:#fff4d6;border-left:4px solid #b07d00;padding:.75rem 1rem;margin:1rem 0}\
.errors{color:#b3261e}\
fieldset{border:1px solid #e4e4ee;border-radius:8px;margin:1rem 0;padding:1rem}\
legend{padding:0 .4rem;color:#55557a}\
label{display:block;margin:.5rem 0}input{font:inherit;width:100%;box-sizing:border-box;\
padding:.45rem;margin:.2rem 0 .4rem;border:1px solid #c9c9d9;border-radius:6px}\
input[type=radio],input[type=checkbox]{width:auto;margin:0 .5rem 0 0}\
select{font:inherit;display:block;padding:.45rem;margin:.2rem 0 .4rem;border:1px solid #c9c9d9;\
border-radius:6px}\
button,.button{display:inline-block;font:inherit;font-weight:600;border-radius:8px;\
padding:.6rem 1rem;margin:.25rem .4rem .25rem 0;border:2px solid #4a3aff;cursor:pointer;\
text-decoration:none}\
.primary{background:#4a3aff;color:#fff}.secondary{background:#fff;color:#4a3aff}\
.danger{background:#fff;color:#b3261e;border-color:#b3261e}\
button:focus-visible,.button:focus-visible{outline:3px solid #1d1d35;outline-offset:2px}\
.muted{color:#55557a}";

/// A whole page in the sandbox's one layout. `content` is HTML already (its author escapes what
/// it interpolates); `brand` and `title` are escaped here. `content` should start with the
/// page's `<h1 id="title">`, which labels the main region.
pub fn page(brand: &str, title: &str, content: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · {brand} sandbox</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <main aria-labelledby=\"title\">\n\
         <p class=\"brand\">{brand}<span class=\"badge\">Sandbox</span></p>\n{content}</main>\n\
         </body>\n</html>\n",
        title = escape(title),
        brand = escape(brand),
    )
}

/// A page with a heading and one paragraph of plain text (both escaped).
pub fn message_page(brand: &str, title: &str, message: &str) -> String {
    let content = format!(
        "<h1 id=\"title\">{}</h1>\n<p>{}</p>\n",
        escape(title),
        escape(message)
    );
    page(brand, title, &content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_hashes_are_csp_sha256_sources() {
        // SHA-256 of the empty string, base64: a known vector.
        assert_eq!(
            script_hash(""),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn escapes_markup_and_both_quotes() {
        assert_eq!(
            escape(r#"<a href='x'>"&"#),
            "&lt;a href=&#39;x&#39;&gt;&quot;&amp;"
        );
    }

    #[test]
    fn page_escapes_brand_and_title() {
        let html = page("B<", "T&", "<h1 id=\"title\">ok</h1>");
        assert!(html.contains("<title>T&amp; · B&lt; sandbox</title>"));
        assert!(html.contains("<h1 id=\"title\">ok</h1>"));
    }
}
