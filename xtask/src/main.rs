//! Build tasks.
//!
//! - `cargo xtask web [--debug] [--out DIR]` compiles the `web` crate for
//!   `wasm32-unknown-unknown` (profile `wasm-release`: opt-level z, LTO), runs
//!   wasm-bindgen (`--target web`) through `wasm-bindgen-cli-support` (so
//!   nothing has to be installed) and copies the static files into `web/dist/`.
//! - `cargo xtask test [--no-browser]`: the workspace's tests, then the web
//!   app build and its browser test (`tests/browser/run.sh`).

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `wasm-bindgen-cli-support` version this xtask links (root Cargo.toml
/// pins it with `=`). The schema of the generated glue must match the
/// `wasm-bindgen` crate compiled into the app, so we refuse to run if
/// Cargo.lock disagrees.
const BINDGEN_VERSION: &str = "0.2.130";

/// Static files copied verbatim from `web/` into the output directory.
const STATIC_FILES: &[&str] = &[
    "index.html",
    "style.css",
    "worker.js",
    "manifest.webmanifest",
    "icon.svg",
];

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("web") => web(&args[1..]),
        Some("test") => test(&args[1..]),
        _ => {
            bail!("usage: cargo xtask web [--debug] [--out DIR] | cargo xtask test [--no-browser]")
        }
    }
}

fn workspace_root() -> PathBuf {
    // `cargo run` sets CARGO_MANIFEST_DIR at run time too; the compile-time
    // value serves when the binary is started directly
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    dir.parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

fn web(args: &[String]) -> Result<()> {
    let root = workspace_root();
    let mut debug = false;
    let mut out = root.join("web/dist");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--debug" => debug = true,
            "--out" => out = PathBuf::from(it.next().context("--out needs a directory")?),
            other => {
                bail!("unknown argument '{other}' (usage: cargo xtask web [--debug] [--out DIR])")
            }
        }
    }
    check_bindgen_version(&root)?;
    ensure_wasm_target()?;

    let profile = if debug { "dev" } else { "wasm-release" };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("building taxdistill-web for wasm32 (profile {profile})…");
    let status = Command::new(&cargo)
        .current_dir(&root)
        .args([
            "build",
            "-p",
            "taxdistill-web",
            "--bin",
            "taxdistill-web",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            profile,
        ])
        .status()
        .with_context(|| format!("running {cargo} build"))?;
    if !status.success() {
        bail!("cargo build of taxdistill-web for wasm32 failed");
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let target_dir = if target_dir.is_relative() {
        root.join(target_dir)
    } else {
        target_dir
    };
    let profile_dir = if debug { "debug" } else { "wasm-release" };
    let wasm = target_dir
        .join("wasm32-unknown-unknown")
        .join(profile_dir)
        .join("taxdistill-web.wasm");
    if !wasm.is_file() {
        bail!(
            "{}: the build did not produce the wasm file",
            wasm.display()
        );
    }

    // Build into a fresh sibling directory and swap, so a failed run never
    // leaves a half-written dist behind.
    let tmp = out.with_extension("tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).with_context(|| format!("removing {}", tmp.display()))?;
    }
    std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .out_name("taxdistill_web")
        .web(true)?
        // `init()` without arguments loads `taxdistill_web_bg.wasm` next to the JS
        .omit_default_module_path(false)
        .typescript(false)
        .debug(debug)
        .generate(&tmp)
        .with_context(|| format!("wasm-bindgen on {}", wasm.display()))?;

    let web = root.join("web");
    for f in STATIC_FILES {
        copy(&web.join(f), &tmp.join(f))?;
    }
    let demo_src = web.join("assets/demo");
    let mut demo_files = Vec::new();
    if demo_src.is_dir() {
        std::fs::create_dir_all(tmp.join("demo"))?;
        let mut entries: Vec<_> = std::fs::read_dir(&demo_src)?.collect::<std::io::Result<_>>()?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            if e.file_type()?.is_file() {
                let name = e.file_name().to_string_lossy().into_owned();
                copy(&e.path(), &tmp.join("demo").join(&name))?;
                demo_files.push(format!("demo/{name}"));
            }
        }
    } else {
        eprintln!(
            "warning: {} missing (run scripts/make_demo.sh); the demo button will report an error",
            demo_src.display()
        );
    }

    // The service worker precaches exactly the files of this build; its
    // cache name changes with their contents so an update replaces the cache.
    let mut files: Vec<String> = vec!["./".into()];
    files.extend(
        ["taxdistill_web.js", "taxdistill_web_bg.wasm"]
            .iter()
            .map(|s| s.to_string()),
    );
    files.extend(STATIC_FILES.iter().map(|s| s.to_string()));
    files.extend(demo_files);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for f in &files[1..] {
        for b in std::fs::read(tmp.join(f)).with_context(|| format!("reading {f}"))? {
            hash = (hash ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    let list = files
        .iter()
        .map(|f| format!("  \"{f}\""))
        .collect::<Vec<_>>()
        .join(",\n");
    let template = std::fs::read_to_string(web.join("sw.js")).context("reading web/sw.js")?;
    let sw = template
        .replace("/*BUILD*/", &format!("{hash:016x}"))
        .replace("/*FILES*/", &list);
    std::fs::write(tmp.join("sw.js"), sw)?;

    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("removing old {}", out.display()))?;
    }
    std::fs::rename(&tmp, &out)
        .with_context(|| format!("moving {} to {}", tmp.display(), out.display()))?;
    let size = std::fs::metadata(out.join("taxdistill_web_bg.wasm"))?.len();
    eprintln!("wrote {} (wasm {:.2} MB)", out.display(), size as f64 / 1e6);
    Ok(())
}

fn cargo(root: &Path, args: &[&str]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .current_dir(root)
        .args(args)
        .status()
        .with_context(|| format!("running {cargo}"))?;
    if !status.success() {
        bail!("cargo {} failed", args.join(" "));
    }
    Ok(())
}

fn test(args: &[String]) -> Result<()> {
    let browser = match args.first().map(String::as_str) {
        None => true,
        Some("--no-browser") => false,
        Some(other) => bail!("unknown argument '{other}' (usage: cargo xtask test [--no-browser])"),
    };
    let root = workspace_root();
    if browser {
        // the browser flow and the wgpu parity tests need these
        ensure_debian_packages(&["chromium", "mesa-vulkan-drivers", "libvulkan1"])?;
    } else {
        ensure_debian_packages(&["mesa-vulkan-drivers", "libvulkan1"])?;
    }
    // One invocation for every crate, the web crate's runtime-free units
    // (pipeline, chart data) included: features unify once, so no dependency
    // is compiled twice. It also builds `target/debug/taxdistill`, which the
    // browser test below uses.
    cargo(&root, &["test", "--workspace", "--exclude", "xtask"])?;
    // The Snakemake workflow, run locally on the tiny GenomeOcean fixture with
    // the binary the tests just built (its venv lives under target/venvs/).
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let target_dir = if target_dir.is_relative() {
        root.join(target_dir)
    } else {
        target_dir
    };
    let status = Command::new("bash")
        .arg(root.join("native/workflow/ci_test.sh"))
        .env("TAXDISTILL", target_dir.join("debug").join("taxdistill"))
        .current_dir(&root)
        .status()
        .context("running native/workflow/ci_test.sh")?;
    if !status.success() {
        bail!("the Snakemake workflow test failed (native/workflow/ci_test.sh)");
    }
    if browser {
        web(&[])?;
        let status = Command::new("bash")
            .arg(root.join("tests/browser/run.sh"))
            .env("SKIP_BUILD", "1")
            .current_dir(&root)
            .status()
            .context("running tests/browser/run.sh")?;
        if !status.success() {
            bail!("the browser test failed (tests/browser/run.sh)");
        }
    }
    Ok(())
}

/// Adds the wasm32 target with rustup when it is missing (the web build's
/// own set-up; without it rustc says "can't find crate for `core`").
fn ensure_wasm_target() -> Result<()> {
    const TARGET: &str = "wasm32-unknown-unknown";
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match installed {
        Ok(o) if o.status.success() => {
            if String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == TARGET)
            {
                return Ok(());
            }
            eprintln!("adding the Rust target {TARGET} (rustup target add {TARGET})…");
            let st = Command::new("rustup")
                .args(["target", "add", TARGET])
                .status()?;
            if !st.success() {
                bail!("rustup target add {TARGET} failed");
            }
            Ok(())
        }
        // no rustup: the toolchain is managed otherwise; let cargo say what is missing
        _ => Ok(()),
    }
}

/// Installs missing Debian packages with apt-get when running as root; as
/// another user, stops with the one command to run. Off Debian (no dpkg)
/// nothing is checked.
fn ensure_debian_packages(pkgs: &[&str]) -> Result<()> {
    if Command::new("dpkg").arg("--version").output().is_err() {
        return Ok(());
    }
    let missing: Vec<&str> = pkgs
        .iter()
        .copied()
        .filter(|p| {
            !Command::new("dpkg")
                .args(["-s", p])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root_user {
        bail!(
            "missing system packages for the tests: run `sudo apt-get install -y {}` first",
            missing.join(" ")
        );
    }
    eprintln!("installing {} (apt-get)…", missing.join(" "));
    let quiet = |args: &[&str]| -> Result<()> {
        let st = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(std::process::Stdio::null())
            .status()
            .context("running apt-get")?;
        if !st.success() {
            bail!("apt-get {} failed", args.join(" "));
        }
        Ok(())
    };
    quiet(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq"];
    args.extend(&missing);
    quiet(&args)
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    Ok(())
}

/// Fails when Cargo.lock pins a different `wasm-bindgen` than [`BINDGEN_VERSION`].
fn check_bindgen_version(root: &Path) -> Result<()> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == "name = \"wasm-bindgen\"" {
            let v = lines.next().unwrap_or_default().trim();
            let v = v.trim_start_matches("version = \"").trim_end_matches('"');
            if v != BINDGEN_VERSION {
                bail!(
                    "Cargo.lock has wasm-bindgen {v} but xtask links wasm-bindgen-cli-support {BINDGEN_VERSION}; \
                     set wasm-bindgen-cli-support = \"={v}\" in the root Cargo.toml and BINDGEN_VERSION in xtask"
                );
            }
            return Ok(());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen package")
}
