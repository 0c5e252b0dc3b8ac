//! `taxdistill serve`: serves the built web app (a folder of static files) on
//! 127.0.0.1 with the MIME types browsers insist on (`application/wasm` for
//! streaming compilation, `text/javascript` for module workers).
//!
//! Plain `std::net`: one thread per connection, GET/HEAD only, no keep-alive.
//! Paths are resolved strictly inside the served folder ([`crate::serve`]).

use crate::serve::handle;
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;

/// Arguments of `taxdistill serve`.
#[derive(clap::Args)]
pub struct Args {
    /// Port on 127.0.0.1 (0 picks a free one and prints it).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Folder to serve (built by `cargo xtask web`).
    #[arg(long, default_value = "web/dist")]
    pub dir: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    let root = args.dir.canonicalize().with_context(|| {
        format!(
            "{}: cannot open (build it with `cargo xtask web`)",
            args.dir.display()
        )
    })?;
    if !root.join("index.html").is_file() {
        bail!(
            "{}: no index.html (build the app with `cargo xtask web`)",
            root.display()
        );
    }
    let listener = TcpListener::bind(("127.0.0.1", args.port))
        .with_context(|| format!("binding 127.0.0.1:{}", args.port))?;
    let addr = listener.local_addr()?;
    println!("serving {} on http://{addr}/", root.display());
    std::io::stdout().flush().ok();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let root = root.clone();
        std::thread::spawn(move || {
            if let Err(e) = handle(stream, &root) {
                tracing::debug!("connection: {e:#}");
            }
        });
    }
    Ok(())
}
