//! Tests of the `taxdistill-bench` binary: the `quick` preset end to end
//! (files, JSON structure, every method present, metrics within [0, 1] and
//! consistent counts, plots), `--resume`, a dataset with truth, and clear
//! one-line errors for bad plans. Seconds in a debug build.

use clap::Parser;
use std::path::Path;
use std::process::{Command, Output};

/// The `taxdistill-bench` binary that cargo built for these tests.
fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_taxdistill-bench"))
}

/// The standard error of a finished command, checked to have succeeded
/// (`success`) or failed.
fn stderr_of(out: Output, success: bool, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.success(), success, "{what}: {stderr}");
    stderr
}

fn ok(out: Output, what: &str) -> String {
    stderr_of(out, true, what)
}

fn fail(out: Output, what: &str) -> String {
    stderr_of(out, false, what)
}

/// `taxdistill simulate`'s flags, to make a dataset as the CLI would.
#[derive(Parser)]
struct Simulate {
    #[command(flatten)]
    args: taxdistill::cmd::simulate::Args,
}

/// Writes a simulated community into `out` exactly as `taxdistill simulate
/// FLAGS --out OUT` does (the same flags, defaults and writer).
fn simulate(flags: &[&str], out: &Path) {
    let argv = ["simulate"]
        .into_iter()
        .chain(flags.iter().copied())
        .chain(["--out", out.to_str().unwrap()]);
    let sim = Simulate::parse_from(argv);
    let cfg = sim.args.config().unwrap();
    let community = taxdistill_sim::simulate(&cfg).unwrap();
    taxdistill::cmd::simulate::write_community(&community, out, 1).unwrap();
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const METHODS: [&str; 8] = [
    "raw_labels",
    "teacher",
    "student_noisy",
    "student_hard",
    "student_soft",
    "student_soft_a0.3_t1",
    "taxdistill_run",
    "student_soft_a0.6_t4",
];

/// `taxdistill_run` is the candidate `run` would keep: one of its three
/// students, chosen by the best mean held-out F1, with that student's scores,
/// and costing all three.
fn check_run_choice(run: &serde_json::Value) {
    let ms = run["methods"].as_array().unwrap();
    let find = |id: &str| ms.iter().find(|m| m["id"] == id).unwrap();
    let r = find("taxdistill_run");
    let cands = r["details"]["candidates"].as_array().unwrap();
    let ids: Vec<&str> = cands
        .iter()
        .map(|c| c["method"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["student_soft", "student_soft_a0.3_t1", "student_noisy"]
    );
    let kept = r["details"]["kept"].as_str().unwrap();
    let score = |c: &serde_json::Value| c["holdout_f1_mean"].as_f64().unwrap_or(f64::NAN);
    let best = cands.iter().map(score).fold(f64::NEG_INFINITY, f64::max);
    let k = cands.iter().find(|c| c["method"] == kept).unwrap();
    assert_eq!(score(k), best, "kept {kept}, not the best of {cands:?}");
    // run's output is the kept student's predictions under the open-set
    // rule: the same contigs scored, the rule's evidence recorded
    let (a, b) = (&r["eval"]["annotated"], &find(kept)["eval"]["annotated"]);
    for i in 0..7 {
        assert_eq!(a[i]["n_truth"], b[i]["n_truth"], "taxdistill_run vs {kept}");
    }
    let os = &r["details"]["open_set"];
    assert_eq!(os["gates"].as_array().map(Vec::len), Some(7), "{os}");
    let cost: f64 = ids
        .iter()
        .map(|id| find(id)["seconds"].as_f64().unwrap())
        .sum();
    assert!(r["seconds"].as_f64().unwrap() <= cost + 1e-9);
    assert!(r["seconds"].as_f64().unwrap() >= find(kept)["seconds"].as_f64().unwrap() - 1e-9);
}

/// Checks one run record's methods: all present and ok, metrics in [0, 1],
/// counts adding up, and the annotated subset no larger than all contigs.
fn check_run(run: &serde_json::Value, methods: &[&str]) {
    let ms = run["methods"].as_array().unwrap();
    for id in methods {
        let m = ms
            .iter()
            .find(|m| m["id"] == *id)
            .unwrap_or_else(|| panic!("method {id} missing: {run}"));
        assert_eq!(m["status"], "ok", "{id}: {}", m["status"]);
        let e = &m["eval"];
        for subset in ["annotated", "all"] {
            let rows = e[subset].as_array().unwrap();
            assert_eq!(rows.len(), 7, "{id} {subset}");
            for r in rows {
                for k in ["precision", "recall", "f1"] {
                    let v = r[k].as_f64().unwrap();
                    assert!((0.0..=1.0).contains(&v), "{id} {subset} {k} = {v}");
                }
                let c = |k: &str| r[k].as_u64().unwrap();
                assert_eq!(c("correct") + c("wrong") + c("missing"), c("n_truth"));
            }
        }
        let dom_all = e["all"][0]["n_truth"].as_u64().unwrap();
        let dom_long = e["annotated"][0]["n_truth"].as_u64().unwrap();
        assert!(dom_long <= dom_all && dom_long > 0);
        assert!(!e["length_bins"].as_array().unwrap().is_empty());
        assert!(e["novelty"].is_array() || e["novelty"].is_null());
        if *id != "raw_labels" {
            let ece = e["calibration"]["ece"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&ece), "{id} ECE {ece}");
            assert!(m["seconds"].as_f64().unwrap() >= 0.0);
            let tr: u64 = e["transitions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["right"].as_u64().unwrap() + t["wrong"].as_u64().unwrap())
                .sum();
            assert_eq!(tr, run["data"]["n_long"].as_u64().unwrap(), "{id}");
        }
    }
    // the students never annotate contigs below the minimum length
    let soft = ms.iter().find(|m| m["id"] == "student_soft").unwrap();
    let short_bin = &soft["eval"]["length_bins"][0];
    if short_bin["n"].as_u64().unwrap() > 0 {
        for r in short_bin["ranks"].as_array().unwrap() {
            assert_eq!(
                r["correct"].as_u64().unwrap() + r["wrong"].as_u64().unwrap(),
                0
            );
        }
    }
}

#[test]
fn quick_preset_writes_a_complete_report_and_resume_reuses_its_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench");
    let stderr = ok(
        bin()
            .args(["--scenarios", "quick", "--no-vamb", "--out"])
            .arg(&out)
            .output()
            .unwrap(),
        "bench quick",
    );
    assert!(stderr.contains("tiny seed 1"), "{stderr}");
    for f in [
        "results.json",
        "results.tsv",
        "summary.tsv",
        "tests.tsv",
        "report.html",
        "report.md",
        "runs/tiny-seed1.json",
        "plots/f1_tiny.svg",
        "plots/reliability_tiny.svg",
        "plots/transitions_tiny.svg",
        "plots/length_tiny_species.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    assert!(!out.join("work").exists(), "scratch data should be removed");
    let r = json(&out.join("results.json"));
    assert_eq!(r["tool"], "taxdistill-bench");
    let runs = r["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["scenario"], "tiny");
    check_run(&runs[0], &METHODS);
    check_run_choice(&runs[0]);
    let vamb = runs[0]["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "vamb_taxometer");
    assert!(vamb.is_none(), "the quick preset does not ask for vamb");
    // the summary covers every method and rank; one seed → no sd, no t-test p
    let s = &r["summary"];
    for id in METHODS {
        assert!(
            s["methods"].as_array().unwrap().iter().any(|m| m == id),
            "{id}"
        );
    }
    let m = s["metrics"].as_array().unwrap();
    assert_eq!(m.len(), METHODS.len() * 2 * 7);
    assert!(m
        .iter()
        .all(|x| x["f1"]["sd"].is_null() && x["f1"]["n"] == 1));
    let tests = s["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 28 * 7, "every pair of 8 methods at 7 ranks");
    for t in tests {
        assert!(t["p_t"].is_null());
        let p = t["p_mcnemar"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
    }
    // tables: one row per method × subset × rank (+ header)
    let tsv = std::fs::read_to_string(out.join("results.tsv")).unwrap();
    assert_eq!(tsv.lines().count(), 1 + METHODS.len() * 2 * 7);
    assert!(tsv.starts_with("scenario\tseed\tmethod\tstatus\tsubset\trank\tprecision"));
    let svg = std::fs::read_to_string(out.join("plots/f1_tiny.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("unannotated by design"));
    assert!(!html.contains("<script"));

    // --resume reuses the finished run and rewrites the same results
    let before = std::fs::read_to_string(out.join("summary.tsv")).unwrap();
    let stderr = ok(
        bin()
            .args(["--scenarios", "quick", "--no-vamb", "--resume", "--out"])
            .arg(&out)
            .output()
            .unwrap(),
        "bench --resume",
    );
    assert!(stderr.contains("reused"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out.join("summary.tsv")).unwrap(),
        before
    );
}

#[test]
fn a_dataset_with_truth_is_benchmarked_over_two_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    simulate(
        &[
            "--genomes",
            "10",
            "--contigs",
            "300",
            "--samples",
            "2",
            "--seed",
            "9",
        ],
        &data,
    );
    // Kraken2 output + taxdump as the labels, the Taxometer truth as truth
    let out = dir.path().join("bench");
    ok(
        bin()
            .args(["-q", "--dataset"])
            .arg(&data)
            .arg("--labels")
            .arg(data.join("raw/kraken2.out"))
            .arg("--taxonomy")
            .arg(data.join("raw/taxdump"))
            .args([
                "--labels-format",
                "kraken2",
                "--seeds",
                "1,2",
                "--train",
                "epochs=4,patience=2,min-steps=0",
                "--no-vamb",
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap(),
        "bench --dataset",
    );
    let r = json(&out.join("results.json"));
    let runs = r["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for run in runs {
        assert_eq!(run["scenario"], "dataset");
        assert!(run["data"]["novel_share"].is_null());
        check_run(run, &METHODS[..7]);
        check_run_choice(run);
    }
    // two seeds: sd and the paired t-test are defined where F1 differs
    let m = r["summary"]["metrics"].as_array().unwrap();
    assert!(m.iter().all(|x| x["f1"]["n"] == 2));
    let tests = std::fs::read_to_string(out.join("tests.tsv")).unwrap();
    assert!(tests.lines().count() > 1);
}

#[test]
fn bad_plans_and_inputs_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let e = fail(
        bin()
            .args(["--scenarios", "no-such-plan", "--out"])
            .arg(&out)
            .output()
            .unwrap(),
        "unknown preset",
    );
    assert!(e.contains("not a preset (quick, full)"), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "{e}");

    let plan = dir.path().join("plan.toml");
    std::fs::write(
        &plan,
        "seeds = [1]\n[[scenario]]\nname = \"a\"\nnovelty = 0.3\n",
    )
    .unwrap();
    let e = fail(
        bin()
            .args(["--scenarios"])
            .arg(&plan)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap(),
        "unknown key",
    );
    assert!(e.contains("plan.toml: line 4"), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "{e}");

    std::fs::write(
        &plan,
        "[[scenario]]\nname = \"a\"\n[scenario.sim]\nnovel_families = 2\n",
    )
    .unwrap();
    let e = fail(
        bin()
            .args(["--scenarios"])
            .arg(&plan)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap(),
        "bad simulator value",
    );
    assert!(
        e.contains("scenario 'a'") && e.contains("novel_families"),
        "{e}"
    );

    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = fail(
        bin()
            .args(["--dataset"])
            .arg(&empty)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap(),
        "empty dataset",
    );
    assert!(e.contains("no contigs file found"), "{e}");
    assert!(
        !out.exists(),
        "nothing is written before the inputs are checked"
    );
}

#[test]
fn dry_run_prints_every_scenario_and_method_of_the_full_preset() {
    let o = bin()
        .args([
            "--scenarios",
            "full",
            "--dry-run",
            "--vamb",
            "/bin/sh",
            "--out",
            "x",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("plan full"), "{text}");
    assert!(
        text.contains("vamb_taxometer") && text.contains("student_soft"),
        "{text}"
    );
    assert!(!Path::new("x").exists());
}

#[test]
fn a_genomeocean_model_adds_its_teacher_and_student_from_a_json_plan() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    std::fs::write(
        &plan,
        r#"{"seeds": [2], "train": {"epochs": 3, "patience": 2, "min_steps": 0},
            "scenario": [{"name": "go", "sim": {"genomes": 6, "contigs": 120, "samples": 2,
                          "mean_length": 3000, "sd_length": 1500}}]}"#,
    )
    .unwrap();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/tiny-genomeocean");
    let out = dir.path().join("bench");
    ok(
        bin()
            .args(["-q", "--scenarios"])
            .arg(&plan)
            .arg("--genomeocean")
            .arg(&model)
            .args(["--no-vamb", "--out"])
            .arg(&out)
            .output()
            .unwrap(),
        "bench --genomeocean",
    );
    let r = json(&out.join("results.json"));
    let run = &r["runs"][0];
    check_run(
        run,
        &[
            "raw_labels",
            "teacher",
            "teacher_genomeocean",
            "student_soft",
            "student_soft_genomeocean",
        ],
    );
    let steps: Vec<&str> = run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        steps.contains(&"embed") && steps.contains(&"teacher:genomeocean"),
        "{steps:?}"
    );
}
