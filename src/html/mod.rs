//! Reports a person would rather look at: any refit JSON report (or several) as one
//! self-contained HTML page: inline CSS and inline SVG, no scripts, no external requests.

pub mod render;
pub mod svg;

use std::fmt::Write;

use serde_json::Value;

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:62rem;color:#222;padding:0 1rem}\
h1{font-size:1.5rem}h2{font-size:1.2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem;margin-top:2.5rem}h3{font-size:1rem;margin-bottom:.3rem}\
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}th{background:#f5f5f5}\
td.num{text-align:right;font-variant-numeric:tabular-nums}.status{font-weight:bold;padding:.1rem .4rem;border-radius:.2rem}\
.OK,.PASS{background:#e5f5e0;color:#1a6b1a}.WARN{background:#fff7bc;color:#7a5b00}.FAIL,.ERROR{background:#fcbba1;color:#8b1a1a}\
.meta{color:#666;font-size:.85rem}.chart{display:block;margin:.5rem 0;max-width:100%;height:auto}.callout{background:#fff7bc;padding:.4rem .6rem;border-radius:.2rem}\
section.feature{display:inline-block;vertical-align:top;margin-right:1rem}";

/// Escapes text for HTML and XML: the page is also well-formed XML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A table from a header and rows of already-escaped cells.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table><thead><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

pub fn status_badge(status: &str) -> String {
    let class = match status {
        "OK" | "PASS" | "WARN" | "FAIL" | "ERROR" => status,
        _ => "",
    };
    format!("<span class=\"status {class}\">{}</span>", escape(status))
}

/// The whole page for one or more report envelopes.
pub fn render_page(reports: &[Value]) -> String {
    let title = match reports {
        [one] => format!(
            "refit {} {}",
            one["command"].as_str().unwrap_or("report"),
            one["status"].as_str().unwrap_or("")
        ),
        many => format!("refit run: {} reports", many.len()),
    };
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <title>{}</title><style>{STYLE}</style></head><body><h1>{}</h1>",
        escape(&title),
        escape(&title)
    );
    if reports.len() > 1 {
        let rows: Vec<Vec<String>> = reports
            .iter()
            .map(|r| {
                vec![
                    escape(r["command"].as_str().unwrap_or("?")),
                    status_badge(r["status"].as_str().unwrap_or("?")),
                    escape(&r["exit_code"].to_string()),
                    escape(r["finished_at"].as_str().unwrap_or("")),
                ]
            })
            .collect();
        out.push_str(&table(
            &["command", "status", "exit code", "finished"],
            &rows,
        ));
    }
    for report in reports {
        out.push_str(&render::render_report(report));
    }
    out.push_str("<p class=\"meta\">Rendered by refit from its JSON reports; self-contained, no scripts.</p></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
