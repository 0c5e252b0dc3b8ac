//! A user's `model.json` is a trust boundary: every broken model directory
//! gives one error line naming the file and exit status 1 — never a panic
//! (exit 101) and never a hang.

use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

mod common;
use common::{bin, ok};

/// A tiny community and a student trained on it (a few seconds).
fn trained(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let sim = dir.join("sim");
    ok(
        bin()
            .args(["-q", "simulate", "--genomes", "8", "--contigs", "200"])
            .args(["--samples", "2", "--seed", "4", "--out"])
            .arg(&sim)
            .output()
            .unwrap(),
        "simulate",
    );
    let model = dir.join("model");
    ok(
        bin()
            .args([
                "-q",
                "distill",
                "--epochs",
                "2",
                "--min-steps",
                "0",
                "--contigs",
            ])
            .arg(sim.join("contigs.fna.gz"))
            .arg("--abundance")
            .arg(sim.join("abundance.tsv"))
            .arg("--labels")
            .arg(sim.join("labels.tsv"))
            .arg("--out")
            .arg(&model)
            .output()
            .unwrap(),
        "distill",
    );
    (sim, model)
}

/// Runs `annotate` with the model directory `model`, killing it after 60 s;
/// returns (exit code, standard error).
fn annotate(sim: &Path, model: &Path, out: &Path) -> (Option<i32>, String) {
    let mut child = bin()
        .args(["-q", "annotate", "--model"])
        .arg(model)
        .arg("--contigs")
        .arg(sim.join("contigs.fna.gz"))
        .arg("--abundance")
        .arg(sim.join("abundance.tsv"))
        .arg("--out")
        .arg(out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status.code(), err);
        }
        if t0.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("annotate hangs on {}", model.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Non-root nodes of the stored tree whose parent is not the root (depth ≥ 2).
fn deep_nodes(meta: &Value) -> Vec<usize> {
    meta["tree"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, n)| n["depth"].as_u64().unwrap() >= 2)
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn broken_model_files_give_one_error_line_and_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let (sim, model) = trained(tmp.path());
    let meta: Value =
        serde_json::from_slice(&std::fs::read(model.join("model.json")).unwrap()).unwrap();
    let deep = deep_nodes(&meta);
    let (a, b) = (deep[0], deep[1]);
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "parent out of range",
            Box::new(move |m: &mut Value| m["tree"]["nodes"][a]["parent"] = 1_000_000.into()),
            "does not come before it",
        ),
        (
            "two nodes each other's parent",
            Box::new(move |m: &mut Value| {
                m["tree"]["nodes"][a]["parent"] = b.into();
                m["tree"]["nodes"][b]["parent"] = a.into();
            }),
            "does not come before it",
        ),
        (
            "depth 0 below the root",
            Box::new(move |m: &mut Value| m["tree"]["nodes"][a]["depth"] = 0.into()),
            "depth 0",
        ),
        (
            "a second root",
            Box::new(move |m: &mut Value| m["tree"]["nodes"][a]["parent"] = Value::Null),
            "second root",
        ),
        (
            "a name twice under one parent",
            Box::new(move |m: &mut Value| {
                let sibling = m["tree"]["nodes"][1]["name"].clone();
                m["tree"]["nodes"][2]["name"] = sibling;
                m["tree"]["nodes"][2]["parent"] = m["tree"]["nodes"][1]["parent"].clone();
                m["tree"]["nodes"][2]["depth"] = 1.into();
            }),
            "",
        ),
        (
            "a leaf order that is not the nodes'",
            Box::new(|m: &mut Value| {
                m["tree"]["leaves"].as_array_mut().unwrap().reverse();
            }),
            "leaf order",
        ),
        (
            "a threshold above 1",
            Box::new(|m: &mut Value| m["thresholds"][3] = 2.5.into()),
            "not a probability",
        ),
        (
            "a standard deviation of 0",
            Box::new(|m: &mut Value| m["feature_std"][5] = 0.0.into()),
            "standard deviation",
        ),
        (
            "a hidden layer of width 0",
            Box::new(|m: &mut Value| m["hidden"][0] = 0.into()),
            "width 0",
        ),
        (
            "more leaves than output columns",
            Box::new(|m: &mut Value| {
                let nodes = m["tree"]["nodes"].as_array_mut().unwrap();
                nodes.push(serde_json::json!({"name": "Extra", "parent": 0, "depth": 1}));
                m["tree"]["leaves"] = Value::Array(Vec::new());
            }),
            "model.safetensors",
        ),
        (
            "not JSON",
            Box::new(|m: &mut Value| *m = Value::String("{".into())),
            "",
        ),
    ];
    for (i, (what, edit, says)) in cases.iter().enumerate() {
        let dir = tmp.path().join(format!("bad{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(
            model.join("model.safetensors"),
            dir.join("model.safetensors"),
        )
        .unwrap();
        let mut m = meta.clone();
        edit(&mut m);
        std::fs::write(dir.join("model.json"), serde_json::to_vec(&m).unwrap()).unwrap();
        let (code, err) = annotate(&sim, &dir, &tmp.path().join("pred.tsv"));
        assert_eq!(code, Some(1), "{what}: exit {code:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{what}: {err}");
        assert!(err.contains("model."), "{what}: {err}");
        assert!(err.contains(says), "{what}: {err}");
        assert!(
            !tmp.path().join("pred.tsv").exists(),
            "{what}: output written"
        );
    }
}
