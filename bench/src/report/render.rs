//! The report's blocks rendered as Markdown (plots linked) and as a
//! standalone HTML page (plots inline).

use super::Block;
use crate::plots::esc;
use std::fmt::Write as _;

/// The report as Markdown, the plots as linked images under `plots/`.
pub(super) fn markdown(blocks: &[Block]) -> String {
    let mut o = String::new();
    for b in blocks {
        match b {
            Block::Heading(l, t) => {
                let _ = writeln!(o, "{} {t}\n", "#".repeat(*l));
            }
            Block::Para(t) => {
                let _ = writeln!(o, "{t}\n");
            }
            Block::Table(h, rows) => {
                let _ = writeln!(o, "| {} |", h.join(" | "));
                let _ = writeln!(o, "|{}", "---|".repeat(h.len()));
                for r in rows {
                    let _ = writeln!(o, "| {} |", r.join(" | "));
                }
                o.push('\n');
            }
            Block::Svg(file, alt, _) => {
                let _ = writeln!(o, "![{alt}](plots/{file})\n");
            }
        }
    }
    o
}

/// Inline Markdown as HTML: `code` spans become `<code>`, the rest is escaped.
fn md_inline(t: &str) -> String {
    // `code` spans → <code>, the rest escaped
    let mut o = String::new();
    for (i, part) in t.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(o, "<code>{}</code>", esc(part));
        } else {
            o.push_str(&esc(part));
        }
    }
    o
}

/// The report as one HTML page with the plots inline (no scripts).
pub(super) fn html(blocks: &[Block], title: &str) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>\
         body{{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}}\
         table{{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:13px}}\
         th,td{{border:1px solid #ccc;padding:3px 7px;text-align:right}}th{{background:#f3f3f3}}\
         td:first-child,th:first-child{{text-align:left}}svg{{display:block;margin:0.5em 0 1.5em;max-width:100%;height:auto}}\
         code{{background:#f3f3f3;padding:0 3px}}</style></head><body>\n",
        esc(title)
    );
    for b in blocks {
        match b {
            Block::Heading(l, t) => {
                let _ = writeln!(o, "<h{l}>{}</h{l}>", md_inline(t));
            }
            Block::Para(t) => {
                let _ = writeln!(o, "<p>{}</p>", md_inline(t));
            }
            Block::Table(h, rows) => {
                o.push_str("<table><tr>");
                for c in h {
                    let _ = write!(o, "<th>{}</th>", esc(c));
                }
                o.push_str("</tr>\n");
                for r in rows {
                    o.push_str("<tr>");
                    for c in r {
                        let _ = write!(o, "<td>{}</td>", esc(c));
                    }
                    o.push_str("</tr>\n");
                }
                o.push_str("</table>\n");
            }
            Block::Svg(_, _, s) => {
                o.push_str(s);
            }
        }
    }
    o.push_str("</body></html>\n");
    o
}
