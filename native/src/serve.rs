//! A minimal static file server for the built web app (`taxdistill serve`):
//! the MIME types browsers insist on (`application/wasm` for streaming
//! compilation, `text/javascript` for module workers), paths resolved
//! strictly inside the served folder, GET/HEAD only, no keep-alive.

use anyhow::Result;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Component, Path, PathBuf};

/// The Content-Type of a file, by extension.
pub fn mime(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("html") | Some("htm") => "text/html; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("webmanifest") => "application/manifest+json",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("txt") | Some("tsv") | Some("fna") | Some("fa") | Some("fasta") => {
            "text/plain; charset=utf-8"
        }
        Some("gz") => "application/gzip",
        _ => "application/octet-stream",
    }
}

/// Maps a request target (`/a/b?x`) to a file under `root`, refusing `..`.
pub fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let decoded = percent_decode(path)?;
    let mut out = root.to_path_buf();
    for c in Path::new(decoded.trim_start_matches('/')).components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if out.is_dir() {
        out.push("index.html");
    }
    Some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Answers one request on `stream` with a file under `root` (or 404/405).
///
/// # Errors
/// Reading the request or writing the response failed.
pub fn handle(stream: TcpStream, root: &Path) -> Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    // drain the headers; we need none of them
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut parts = request.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let mut out = stream;
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut out,
            "405 Method Not Allowed",
            "text/plain",
            b"method not allowed\n",
            method == "HEAD",
        );
    }
    let file = resolve(root, target).filter(|p| p.is_file());
    match file.and_then(|p| std::fs::read(&p).ok().map(|b| (p, b))) {
        Some((p, body)) => respond(&mut out, "200 OK", mime(&p), &body, method == "HEAD"),
        None => respond(
            &mut out,
            "404 Not Found",
            "text/plain",
            b"not found\n",
            method == "HEAD",
        ),
    }
}

fn respond(out: &mut TcpStream, status: &str, mime: &str, body: &[u8], head: bool) -> Result<()> {
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {mime}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    );
    out.write_all(header.as_bytes())?;
    if !head {
        out.write_all(body)?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn wasm_and_js_get_the_types_browsers_require() {
        assert_eq!(
            mime(Path::new("a/taxdistill_web_bg.wasm")),
            "application/wasm"
        );
        assert_eq!(
            mime(Path::new("worker.js")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(mime(Path::new("m.json")), "application/json");
        assert_eq!(mime(Path::new("i.SVG")), "image/svg+xml");
    }

    #[test]
    fn paths_outside_the_folder_are_refused() {
        let root = Path::new("/srv/app");
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/%2e%2e/etc/passwd"), None);
        assert_eq!(
            resolve(root, "/demo/model.json?x=1"),
            Some(PathBuf::from("/srv/app/demo/model.json"))
        );
    }

    #[test]
    fn serves_files_over_http_with_their_mime_type() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<html></html>").unwrap();
        std::fs::write(dir.path().join("a.wasm"), [0u8, 97, 115, 109]).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let root = dir.path().to_path_buf();
        std::thread::spawn(move || {
            for s in listener.incoming().take(2) {
                handle(s.unwrap(), &root).unwrap();
            }
        });
        let get = |path: &str| {
            use std::io::Read;
            let mut s = TcpStream::connect(addr).unwrap();
            write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut r = String::new();
            s.read_to_string(&mut r).unwrap();
            r
        };
        let r = get("/a.wasm");
        assert!(r.starts_with("HTTP/1.1 200 OK"), "{r}");
        assert!(r.contains("Content-Type: application/wasm"));
        assert!(get("/missing.js").starts_with("HTTP/1.1 404"));
    }
}
