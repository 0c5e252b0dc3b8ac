//! The methods of a run after the raw labels: the graph teacher and the
//! students it feeds (hard labels, soft labels, the (α, T) grid and the
//! further candidates of `taxdistill run`, then `run`'s choice), the
//! GenomeOcean teacher and its student, and vamb taxometer. Each pushes
//! `(method id, outcome or error)`: a failing method is recorded, not fatal.

use super::data::Data;
use super::student::{as_run_writes, run_choice, to_predictions, Ctx, Outcome};
use super::vamb::run_vamb;
use anyhow::Result;
use std::path::Path;
use taxdistill::inputs::embed;
use taxdistill_bench::measure::step;
use taxdistill_bench::record::grid_id;
use taxdistill_core::softlabels::SoftLabels;
use taxdistill_core::taxonomy::Lineage;
use taxdistill_pipeline::choose::default_candidate_temperatures;
use taxdistill_pipeline::teach::{
    sparse_soft, teach, teacher_predictions, Taught, TeachOptions, TeacherKind,
};
use taxdistill_pipeline::Silent;

/// Each method's id and what it produced.
pub(super) type Results = Vec<(String, Result<Outcome>)>;

fn options(d: &Data, ctx: &Ctx) -> TeachOptions {
    TeachOptions {
        teacher: TeacherKind::Graph,
        min_length: d.info.min_length,
        seed: ctx.seed,
        ..TeachOptions::default()
    }
}

/// The graph teacher (shared by the teacher, hard-label and soft-label
/// methods), the student on the noisy labels, and the teacher's students.
pub(super) fn graph(ctx: &mut Ctx, d: &Data, results: &mut Results) {
    ctx.pb
        .set_message(format!("{} seed {}: teacher", d.name, ctx.seed));
    let opts = options(d, ctx);
    let teacher = step("teacher", || {
        anyhow::Ok(teach(
            &d.features,
            &d.training,
            &d.tree,
            None,
            &opts,
            &Silent,
        )?)
    });
    let teacher: std::result::Result<Taught, String> = match teacher {
        Ok((taught, st)) => {
            ctx.steps.push(st);
            Ok(taught)
        }
        Err(e) => Err(format!("{e:#}")),
    };
    match &teacher {
        Ok(Taught { soft, report, .. }) => {
            let argmax = teacher_predictions(soft, &d.tree);
            results.push((
                "teacher".into(),
                Ok(Outcome::of(
                    to_predictions(&argmax, true),
                    vec!["features".into(), "teacher".into()],
                    serde_json::json!({
                        "temperature": report.temperature,
                        "heldout_ece_after": report.ece_after,
                        "chosen": report.chosen,
                    }),
                )),
            ));
        }
        Err(e) => results.push(("teacher".into(), Err(anyhow::anyhow!("teacher: {e}")))),
    }

    // student on the noisy labels only (Taxometer-equivalent)
    let r = ctx
        .student("student_noisy", &d.training, Some(&d.tree), None, None)
        .map(|t| t.outcome(&["features"]));
    results.push(("student_noisy".into(), r));

    match &teacher {
        Ok(taught) => taught_students(ctx, d, taught, results),
        Err(e) => {
            for id in ["student_hard", "student_soft", "taxdistill_run"] {
                results.push((id.into(), Err(anyhow::anyhow!("teacher: {e}"))));
            }
        }
    }
}

/// The students of the graph teacher: on its hard labels, distilled with
/// its soft labels (the default α, T; the grid where asked; the further
/// temperatures `taxdistill run` tries), and `run`'s choice among them.
fn taught_students(ctx: &mut Ctx, d: &Data, taught: &Taught, results: &mut Results) {
    let Taught { soft, open_set, .. } = taught;
    let hard: Vec<Lineage> = teacher_predictions(soft, &d.tree)
        .into_iter()
        .map(|p| p.map(|p| p.lineage).unwrap_or_default())
        .collect();
    let r = ctx
        .student("student_hard", &hard, None, None, None)
        .map(|t| t.outcome(&["features", "teacher"]));
    results.push(("student_hard".into(), r));
    let sparse = sparse_soft(soft, &d.features.ids, &d.tree);
    let mut points: Vec<(String, Option<(f32, f32)>)> = vec![("student_soft".into(), None)];
    if d.grid_wanted {
        points.extend(
            ctx.settings
                .grid
                .iter()
                .map(|&(a, t)| (grid_id(a, t), Some((a, t)))),
        );
    }
    // the further distilled students `taxdistill run` trains by default
    let alpha = ctx.settings.train.alpha;
    let temps = default_candidate_temperatures(ctx.settings.train.temperature);
    let mut run_ids = vec!["student_soft".to_string()];
    for &t in &temps[1..] {
        let id = grid_id(alpha, t);
        if points.iter().all(|(p, _)| *p != id) {
            points.push((id.clone(), Some((alpha, t))));
        }
        run_ids.push(id);
    }
    for (id, at) in points {
        let r = match &sparse {
            Ok(sp) => ctx
                .student(&id, &d.training, Some(&d.tree), Some(sp), at)
                .map(|t| t.outcome(&["features", "teacher"])),
            Err(e) => Err(anyhow::anyhow!("soft labels: {e:#}")),
        };
        results.push((id, r));
    }
    run_ids.push("student_noisy".into());
    let min_length = d.info.min_length;
    let annotated: Vec<bool> = d
        .features
        .lengths
        .iter()
        .map(|&n| n >= min_length)
        .collect();
    let r = run_choice(results, &run_ids, alpha, &temps).map(|o| {
        as_run_writes(
            o,
            &d.lineages,
            &annotated,
            open_set.as_ref().map(|e| (e, &d.tree)),
        )
    });
    results.push(("taxdistill_run".into(), r));
}

/// GenomeOcean: its embeddings (model in `dir`) join the graph teacher; that
/// teacher's argmax and the student distilled from it.
pub(super) fn genomeocean(ctx: &mut Ctx, d: &Data, dir: &Path, results: &mut Results) {
    ctx.pb
        .set_message(format!("{} seed {}: GenomeOcean", d.name, ctx.seed));
    let opts = options(d, ctx);
    let go = (|| -> Result<(SoftLabels, Vec<String>)> {
        let (emb, st) = step("embed", || embed(dir, &d.files.contigs, &d.features.ids, 8))?;
        ctx.steps.push(st);
        let (Taught { soft, .. }, st) = step("teacher:genomeocean", || {
            anyhow::Ok(teach(
                &d.features,
                &d.training,
                &d.tree,
                Some(&emb),
                &opts,
                &Silent,
            )?)
        })?;
        ctx.steps.push(st);
        Ok((
            soft,
            vec![
                "features".into(),
                "embed".into(),
                "teacher:genomeocean".into(),
            ],
        ))
    })();
    let (soft, base_steps) = match go {
        Ok(x) => x,
        Err(e) => {
            for id in ["teacher_genomeocean", "student_soft_genomeocean"] {
                results.push((id.into(), Err(anyhow::anyhow!("GenomeOcean: {e:#}"))));
            }
            return;
        }
    };
    results.push((
        "teacher_genomeocean".into(),
        Ok(Outcome::of(
            to_predictions(&teacher_predictions(&soft, &d.tree), true),
            base_steps.clone(),
            serde_json::json!({}),
        )),
    ));
    let r = sparse_soft(&soft, &d.features.ids, &d.tree)
        .map_err(anyhow::Error::from)
        .and_then(|sp| {
            ctx.student(
                "student_soft_genomeocean",
                &d.training,
                Some(&d.tree),
                Some(&sp),
                None,
            )
        });
    results.push((
        "student_soft_genomeocean".into(),
        r.map(|t| {
            let before: Vec<&str> = base_steps.iter().map(String::as_str).collect();
            t.outcome(&before)
        }),
    ));
}

/// The real vamb taxometer where the scenario asks for it: run, or the
/// reason it is skipped (no executable, no abundances) as `(id, why)`.
pub(super) fn vamb(
    ctx: &mut Ctx,
    d: &Data,
    work: &Path,
    results: &mut Results,
) -> Option<(String, String)> {
    let id = "vamb_taxometer".to_string();
    let (exe, ab) = match (&ctx.settings.vamb, &d.files.abundance) {
        (Err(why), _) => return Some((id, why.clone())),
        (_, None) => {
            return Some((
                id,
                "no abundance file (vamb taxometer needs abundances)".into(),
            ))
        }
        (Ok(exe), Some(ab)) => (exe, ab),
    };
    ctx.pb
        .set_message(format!("{} seed {}: vamb taxometer", d.name, ctx.seed));
    let r = run_vamb(
        exe,
        &d.files.contigs,
        ab,
        &d.features,
        &d.lineages,
        ctx.seed,
        ctx.settings,
        work,
    )
    .map(|(preds, st)| {
        ctx.steps.push(st);
        Outcome::of(
            preds,
            vec!["vamb".into()],
            serde_json::json!({ "executable": exe.display().to_string() }),
        )
    });
    results.push((id, r));
    None
}
