//! Benchmark plans: a TOML or JSON file (or a built-in preset) listing
//! simulator scenarios, seeds, training flags and the (α, T) grid.
//!
//! ```toml
//! description = "what this plan shows"
//! seeds = [1, 2, 3]            # per scenario unless it sets its own
//! grid = [[0.1, 4.0], [0.6, 4.0]] # (alpha, temperature) points for scenarios with grid = true
//! [train]                      # `taxdistill distill` flags, without the dashes
//! epochs = 40
//! [[scenario]]
//! name = "novel-genera"
//! group = "novelty"            # scenarios of one group form a line in "F1 vs novelty"
//! vamb = true                  # also run `vamb taxometer` here
//! grid = true                  # also train the grid points here
//! labels = "kraken2"           # which simulated label file: taxometer (labels.tsv), kraken2, mmseqs2
//! [scenario.sim]               # `taxdistill simulate` flags, without the dashes (not seed/out)
//! contigs = 3000
//! novel_genera = 0.3
//! ```

use crate::errors::{Error, Result};
use clap::Parser;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use taxdistill::args::TrainArgs;
use taxdistill::cmd::simulate;

/// Built-in presets: (name, TOML text).
pub const PRESETS: [(&str, &str); 2] = [
    ("quick", include_str!("../presets/quick.toml")),
    ("full", include_str!("../presets/full.toml")),
];

/// Which simulated label file a scenario feeds to the methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LabelSource {
    /// `labels.tsv` (Taxometer TSV).
    #[default]
    Taxometer,
    /// `raw/kraken2.out` with `raw/taxdump`.
    Kraken2,
    /// `raw/mmseqs2_lca.tsv` with `raw/taxdump`.
    Mmseqs2,
}

/// One scenario of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name (letters, digits, `-`, `_`): used in file names and tables.
    pub name: String,
    /// One line saying what the scenario varies.
    #[serde(default)]
    pub description: String,
    /// Seeds (each seed = a new community and new training seeds); default: the plan's.
    #[serde(default)]
    pub seeds: Option<Vec<u64>>,
    /// Run `vamb taxometer` in this scenario (when it is installed).
    #[serde(default)]
    pub vamb: bool,
    /// Train the plan's (α, T) grid points in this scenario.
    #[serde(default)]
    pub grid: bool,
    /// Scenarios of one group are drawn as one line in the novelty plot.
    #[serde(default)]
    pub group: Option<String>,
    /// Which label file of the simulated data the methods read.
    #[serde(default)]
    pub labels: LabelSource,
    /// `taxdistill simulate` flags (without dashes; `seed` and `out` are set by bench).
    #[serde(default)]
    pub sim: BTreeMap<String, Value>,
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    #[serde(default)]
    pub description: String,
    /// Default seeds of every scenario.
    #[serde(default = "default_seeds")]
    pub seeds: Vec<u64>,
    /// (alpha, temperature) points trained where a scenario has `grid = true`.
    #[serde(default = "default_grid")]
    pub grid: Vec<(f32, f32)>,
    /// `taxdistill distill` flags for every student (without dashes).
    #[serde(default)]
    pub train: BTreeMap<String, Value>,
    #[serde(default)]
    pub scenario: Vec<Scenario>,
}

fn default_seeds() -> Vec<u64> {
    vec![1, 2, 3]
}

/// The default grid around α = 0.3, T = 4: less and more weight on the
/// teacher, a cooler and a hotter temperature.
pub fn default_grid() -> Vec<(f32, f32)> {
    vec![(0.1, 4.0), (0.6, 4.0), (0.3, 1.0), (0.3, 8.0)]
}

impl Scenario {
    /// Seeds of this scenario.
    pub fn seeds<'a>(&'a self, plan: &'a Plan) -> &'a [u64] {
        self.seeds.as_deref().unwrap_or(&plan.seeds)
    }
}

/// Parses `--grid` text: `alpha:temperature` pairs separated by commas.
///
/// # Errors
/// [`Error::BadValue`]: a pair that is not two numbers, α outside [0, 1] or T ≤ 0.
pub fn parse_grid(s: &str) -> Result<Vec<(f32, f32)>> {
    let bad = |value: &str, reason: String| Error::BadValue {
        flag: "--grid".into(),
        value: value.into(),
        reason,
    };
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, t) = part
            .split_once(':')
            .ok_or_else(|| bad(part, "expected alpha:temperature, e.g. 0.1:4".into()))?;
        let a: f32 = a
            .trim()
            .parse()
            .map_err(|e| bad(part, format!("alpha is not a number: {e}")))?;
        let t: f32 = t
            .trim()
            .parse()
            .map_err(|e| bad(part, format!("temperature is not a number: {e}")))?;
        check_grid_point(a, t).map_err(|e| bad(part, e))?;
        out.push((a, t));
    }
    if out.is_empty() {
        return Err(bad(s, "no alpha:temperature pair".into()));
    }
    Ok(out)
}

fn check_grid_point(a: f32, t: f32) -> std::result::Result<(), String> {
    if !(0.0..=1.0).contains(&a) {
        return Err(format!("alpha {a} must lie in [0, 1]"));
    }
    if !(t.is_finite() && t > 0.0) {
        return Err(format!("temperature {t} must be positive"));
    }
    Ok(())
}

/// Parses `key=value,key=value` (numbers, `true`/`false`, else text).
///
/// # Errors
/// [`Error::BadValue`]: a part without `=` or with an empty key.
pub fn parse_key_values(s: &str, what: &str) -> Result<Vec<(String, Value)>> {
    let bad = |part: &str, reason: &str| Error::BadValue {
        flag: what.into(),
        value: part.into(),
        reason: reason.into(),
    };
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| bad(part, "expected key=value"))?;
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() {
            return Err(bad(part, "empty key"));
        }
        let value = match v {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => match v.parse::<f64>() {
                Ok(_) => {
                    serde_json::from_str::<Value>(v).unwrap_or_else(|_| Value::String(v.into()))
                }
                Err(_) => Value::String(v.into()),
            },
        };
        out.push((k.replace('-', "_"), value));
    }
    Ok(out)
}

/// Line (1-based) of a byte offset in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Reads a plan from TOML or JSON text (JSON when it starts with `{`).
///
/// # Errors
/// [`Error::BadPlan`]: syntax errors and unknown keys name the source and
/// line; then the checks of [`Plan::validate`].
pub fn parse_plan(text: &str, source: &str) -> Result<Plan> {
    let bad = |line: usize, message: &str| Error::BadPlan {
        plan: source.into(),
        reason: format!("line {line}: {message}"),
    };
    let plan: Plan = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| {
            let message = e.to_string();
            bad(
                e.line(),
                message.split(" at line").next().unwrap_or_default(),
            )
        })?
    } else {
        toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(text, s.start));
            bad(line, &e.message().replace('\n', " "))
        })?
    };
    plan.validate(source)?;
    Ok(plan)
}

/// A preset by name, or a plan file.
///
/// # Errors
/// [`Error::Io`]: an unreadable file; [`Error::BadValue`]: neither a file
/// nor a preset name; or a bad plan.
pub fn load_plan(spec: &str) -> Result<Plan> {
    let path = Path::new(spec);
    if path.is_file() {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            reason: format!("cannot read: {e}"),
        })?;
        return parse_plan(&text, &path.display().to_string());
    }
    match PRESETS.iter().find(|(n, _)| *n == spec) {
        Some((n, text)) => parse_plan(text, &format!("preset '{n}'")),
        None => Err(Error::BadValue {
            flag: "--scenarios".into(),
            value: spec.into(),
            reason: format!(
                "no such file, and not a preset ({})",
                PRESETS.map(|p| p.0).join(", ")
            ),
        }),
    }
}

/// A JSON value as the text of a command-line flag value.
fn flag_value(key: &str, v: &Value) -> std::result::Result<Option<String>, String> {
    Ok(match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(true) => None,
        Value::Array(a) => Some(
            a.iter()
                .map(|x| match x {
                    Value::Number(n) => Ok(n.to_string()),
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(format!("'{key}': list items must be numbers or strings")),
                })
                .collect::<std::result::Result<Vec<_>, _>>()?
                .join(","),
        ),
        _ => {
            return Err(format!(
                "'{key}': expected a number, string, true or a list"
            ))
        }
    })
}

/// `key = value` pairs as `--key value` flags (`false` drops the flag).
fn to_flags(map: &BTreeMap<String, Value>) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (k, v) in map {
        if matches!(v, Value::Bool(false)) {
            continue;
        }
        out.push(format!("--{}", k.replace('_', "-")));
        if let Some(s) = flag_value(k, v)? {
            out.push(s);
        }
    }
    Ok(out)
}

#[derive(Parser)]
#[command(name = "simulate")]
struct SimCli {
    #[command(flatten)]
    args: simulate::Args,
}

#[derive(Parser)]
#[command(name = "train")]
struct TrainCli {
    #[command(flatten)]
    args: TrainArgs,
}

fn clap_one_line(e: clap::Error) -> String {
    e.to_string()
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("For more information") && !l.starts_with("Usage:")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The simulator arguments of a scenario for one seed, writing into `out`.
///
/// # Errors
/// [`Error::BadPlan`]: an unknown simulator flag, a bad value, `seed`/`out`
/// in the map, or a setting the simulator rejects.
pub fn sim_args(sc: &Scenario, seed: u64, out: &Path, source: &str) -> Result<simulate::Args> {
    let bad = |reason: String| Error::BadPlan {
        plan: source.into(),
        reason: format!("scenario '{}': {reason}", sc.name),
    };
    for k in ["seed", "out"] {
        if sc.sim.contains_key(k) {
            return Err(bad(format!("sim.{k} is set by bench (use seeds = [...])")));
        }
    }
    let mut argv = vec!["simulate".to_string()];
    argv.extend(to_flags(&sc.sim).map_err(bad)?);
    // bench scenarios keep the simulator's original (independent) label
    // model unless they ask for another (`label_model = "realistic"`), so
    // old plans and the built-in presets give the same communities
    if !sc.sim.contains_key("label_model") {
        argv.extend(["--label-model".into(), "independent".into()]);
    }
    argv.extend([
        "--seed".into(),
        seed.to_string(),
        "--out".into(),
        out.display().to_string(),
    ]);
    let cli =
        SimCli::try_parse_from(&argv).map_err(|e| bad(format!("sim: {}", clap_one_line(e))))?;
    cli.args.config().map_err(|e| bad(format!("{e:#}")))?;
    Ok(cli.args)
}

/// The training flags of a plan.
///
/// # Errors
/// [`Error::BadPlan`]: an unknown flag or a bad value.
pub fn train_args(plan: &Plan, source: &str) -> Result<TrainArgs> {
    let bad = |reason: String| Error::BadPlan {
        plan: source.into(),
        reason: format!("[train]: {reason}"),
    };
    let mut argv = vec!["train".to_string()];
    argv.extend(to_flags(&plan.train).map_err(bad)?);
    let cli = TrainCli::try_parse_from(&argv).map_err(|e| bad(clap_one_line(e)))?;
    Ok(cli.args)
}

impl Plan {
    /// Checks names, seeds and grid points; simulator and training flags are
    /// checked by parsing them as the subcommands would.
    ///
    /// # Errors
    /// [`Error::BadPlan`]: the first problem, naming the source and the scenario.
    pub fn validate(&self, source: &str) -> Result<()> {
        let bad = |reason: String| Error::BadPlan {
            plan: source.into(),
            reason,
        };
        if self.scenario.is_empty() {
            return Err(bad("no [[scenario]]".into()));
        }
        let mut seen = std::collections::HashSet::new();
        for sc in &self.scenario {
            let ok = !sc.name.is_empty()
                && sc
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return Err(bad(format!(
                    "scenario name '{}': use letters, digits, '-' and '_'",
                    sc.name
                )));
            }
            if !seen.insert(sc.name.as_str()) {
                return Err(bad(format!("scenario '{}' appears twice", sc.name)));
            }
            let seeds = sc.seeds(self);
            if seeds.is_empty() {
                return Err(bad(format!("scenario '{}' has no seed", sc.name)));
            }
            let mut s = seeds.to_vec();
            s.sort_unstable();
            s.dedup();
            if s.len() != seeds.len() {
                return Err(bad(format!("scenario '{}' repeats a seed", sc.name)));
            }
            sim_args(sc, seeds[0], Path::new("unused"), source)?;
        }
        for &(a, t) in &self.grid {
            check_grid_point(a, t).map_err(|e| bad(format!("grid: {e}")))?;
        }
        train_args(self, source)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_validate() {
        for (name, _) in PRESETS {
            let p = load_plan(name).unwrap();
            assert!(!p.scenario.is_empty(), "{name}");
        }
        let quick = load_plan("quick").unwrap();
        assert_eq!(quick.scenario.len(), 1);
        assert_eq!(quick.scenario[0].seeds(&quick).len(), 1);
        let full = load_plan("full").unwrap();
        assert!(full.scenario.iter().all(|s| s.seeds(&full).len() >= 3));
        assert!(full.scenario.iter().any(|s| s.vamb));
    }

    #[test]
    fn toml_and_json_plans_give_the_same_scenarios() {
        let toml = r#"
seeds = [4, 5]
[train]
epochs = 3
no_abundance = false
[[scenario]]
name = "a"
grid = true
[scenario.sim]
contigs = 300
genomes = 10
branching = [2, 2, 2, 2, 2, 3]
profile = "kraken2"
"#;
        let json = r#"{"seeds":[4,5],"train":{"epochs":3,"no_abundance":false},
            "scenario":[{"name":"a","grid":true,"sim":{"contigs":300,"genomes":10,
            "branching":[2,2,2,2,2,3],"profile":"kraken2"}}]}"#;
        let a = parse_plan(toml, "a.toml").unwrap();
        let b = parse_plan(json, "a.json").unwrap();
        assert_eq!(a, b);
        let args = sim_args(&a.scenario[0], 4, Path::new("/tmp/x"), "a").unwrap();
        let cfg = args.config().unwrap();
        assert_eq!((cfg.contigs, cfg.genomes, cfg.seed), (300, 10, 4));
        assert_eq!(cfg.branching, [2.0, 2.0, 2.0, 2.0, 2.0, 3.0]);
        assert_eq!(cfg.label_model, taxdistill_sim::LabelModel::Independent);
        assert_eq!(train_args(&a, "a").unwrap().epochs, 3);
        assert_eq!(a.grid, default_grid());
    }

    #[test]
    fn scenarios_use_the_independent_label_model_unless_they_ask() {
        let toml = "[[scenario]]\nname = \"a\"\n[[scenario]]\nname = \"b\"\n[scenario.sim]\nlabel_model = \"realistic\"\nprofile = \"kraken2\"\n";
        let p = parse_plan(toml, "p.toml").unwrap();
        let model = |i: usize| {
            sim_args(&p.scenario[i], 1, Path::new("/tmp/x"), "p")
                .unwrap()
                .config()
                .unwrap()
                .label_model
        };
        assert_eq!(model(0), taxdistill_sim::LabelModel::Independent);
        assert_eq!(model(1), taxdistill_sim::LabelModel::Realistic);
        for (name, _) in PRESETS {
            let plan = load_plan(name).unwrap();
            for sc in &plan.scenario {
                let cfg = sim_args(sc, 1, Path::new("/tmp/x"), name)
                    .unwrap()
                    .config()
                    .unwrap();
                assert_eq!(cfg.label_model, taxdistill_sim::LabelModel::Independent);
            }
        }
        // rate flags belong to the independent model
        let bad = "[[scenario]]\nname = \"a\"\n[scenario.sim]\nlabel_model = \"realistic\"\nwrong_rate = 0.1\n";
        let e = format!("{:#}", parse_plan(bad, "p.toml").unwrap_err());
        assert!(e.contains("--wrong-rate"), "{e}");
    }

    #[test]
    fn unknown_keys_name_the_line() {
        let toml = "seeds = [1]\n[[scenario]]\nname = \"a\"\ncolour = \"red\"\n";
        let e = parse_plan(toml, "p.toml").unwrap_err().to_string();
        assert!(e.starts_with("p.toml: line "), "{e}");
        assert!(e.contains("colour"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn unknown_simulator_flags_and_bad_values_are_clear_errors() {
        let bad = "[[scenario]]\nname = \"a\"\n[scenario.sim]\nnovelty = 0.3\n";
        let e = format!("{:#}", parse_plan(bad, "p.toml").unwrap_err());
        assert!(e.contains("scenario 'a'") && e.contains("--novelty"), "{e}");
        let bad = "[[scenario]]\nname = \"a\"\n[scenario.sim]\nnovel_genera = 1.5\n";
        let e = format!("{:#}", parse_plan(bad, "p.toml").unwrap_err());
        assert!(e.contains("novel_genera"), "{e}");
        let bad = "[[scenario]]\nname = \"a\"\n[scenario.sim]\nseed = 3\n";
        assert!(parse_plan(bad, "p.toml").is_err());
        let bad = "[train]\nepoch = 3\n[[scenario]]\nname = \"a\"\n";
        let e = format!("{:#}", parse_plan(bad, "p.toml").unwrap_err());
        assert!(e.contains("[train]") && e.contains("--epoch"), "{e}");
    }

    #[test]
    fn duplicate_names_seeds_and_bad_names_are_refused() {
        let two = "[[scenario]]\nname = \"a\"\n[[scenario]]\nname = \"a\"\n";
        assert!(parse_plan(two, "p")
            .unwrap_err()
            .to_string()
            .contains("twice"));
        let seeds = "[[scenario]]\nname = \"a\"\nseeds = [1, 1]\n";
        assert!(parse_plan(seeds, "p").is_err());
        let name = "[[scenario]]\nname = \"a b\"\n";
        assert!(parse_plan(name, "p").is_err());
        assert!(load_plan("no-such-preset").is_err());
    }

    #[test]
    fn key_value_flags_parse_numbers_booleans_and_text() {
        let kv = parse_key_values("epochs=5, no-abundance=true,lr=1e-3,x=abc", "--train").unwrap();
        assert_eq!(kv[0], ("epochs".into(), Value::from(5)));
        assert_eq!(kv[1], ("no_abundance".into(), Value::Bool(true)));
        assert_eq!(kv[2].1.as_f64(), Some(1e-3));
        assert_eq!(kv[3].1, Value::String("abc".into()));
        assert!(parse_key_values("epochs", "--train").is_err());
    }

    #[test]
    fn grid_flags_parse_pairs_and_reject_out_of_range_values() {
        assert_eq!(
            parse_grid("0.1:4, 0.6:2").unwrap(),
            vec![(0.1, 4.0), (0.6, 2.0)]
        );
        assert!(parse_grid("0.1").is_err());
        assert!(parse_grid("1.5:4").is_err());
        assert!(parse_grid("0.5:0").is_err());
        assert!(parse_grid("").is_err());
    }
}
