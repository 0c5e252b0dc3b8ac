//! Simulator settings: community shape, composition, contigs, abundances and
//! label noise, with the two label models (`realistic`, `independent`) and
//! the two label profiles (`kraken2`, `mmseqs2`).

use crate::errors::{Error, Result};
use crate::realistic::{self, RealisticProfile};

/// How noisy labels are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LabelModel {
    /// Like real classifiers (default): per-genome draws (nearest known
    /// relatives, consistent errors), missing-not-at-random labels (novel
    /// genomes unclassified for Kraken2), length-dependent rates; the
    /// constants are the profile's [`RealisticProfile`]
    /// ([`realistic::KRAKEN2`], [`realistic::MMSEQS2`]). [`LabelNoise`] is
    /// not used.
    #[default]
    Realistic,
    /// The original model: one independent uniform draw per contig with the
    /// [`LabelNoise`] rates (byte-identical to the simulator before the
    /// realistic model existed).
    Independent,
}

impl LabelModel {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            LabelModel::Realistic => "realistic",
            LabelModel::Independent => "independent",
        }
    }
}

impl std::str::FromStr for LabelModel {
    type Err = Error;
    fn from_str(s: &str) -> Result<LabelModel> {
        match s.trim().to_ascii_lowercase().as_str() {
            "realistic" => Ok(LabelModel::Realistic),
            "independent" => Ok(LabelModel::Independent),
            _ => Err(Error::UnknownLabelModel(s.to_string())),
        }
    }
}

/// Label-noise rates. `unclassified`, `wrong` and `shallow` are shares of all
/// contigs (exclusive, so they must sum to at most 1); `nearest` is the
/// probability that a contig of a novel taxon is labelled as its nearest known
/// relative instead of stopping at the deepest rank present in the reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelNoise {
    /// Share of contigs with no label.
    pub unclassified: f64,
    /// Share of contigs with a wrong label (mostly at genus/species).
    pub wrong: f64,
    /// Share of contigs whose label is truncated to a higher rank.
    pub shallow: f64,
    /// Probability that a novel taxon's contig gets its nearest relative's label.
    pub nearest: f64,
}

/// A label-noise preset imitating one classifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// High precision: few wrong labels, many unclassified and shallow ones.
    Kraken2,
    /// Noisier: more wrong and nearest-relative labels, fewer unclassified.
    Mmseqs2,
}

impl Profile {
    /// The constants of the realistic label model for this classifier.
    pub fn realistic(self) -> RealisticProfile {
        match self {
            Profile::Kraken2 => realistic::KRAKEN2,
            Profile::Mmseqs2 => realistic::MMSEQS2,
        }
    }

    /// The noise rates of this preset (independent label model).
    pub fn noise(self) -> LabelNoise {
        match self {
            Profile::Kraken2 => LabelNoise {
                unclassified: 0.25,
                wrong: 0.01,
                shallow: 0.15,
                nearest: 0.05,
            },
            Profile::Mmseqs2 => LabelNoise {
                unclassified: 0.08,
                wrong: 0.08,
                shallow: 0.07,
                nearest: 0.5,
            },
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Kraken2 => "kraken2",
            Profile::Mmseqs2 => "mmseqs2",
        }
    }
}

impl std::str::FromStr for Profile {
    type Err = Error;
    fn from_str(s: &str) -> Result<Profile> {
        match s.trim().to_ascii_lowercase().as_str() {
            "kraken2" | "kraken" => Ok(Profile::Kraken2),
            "mmseqs2" | "mmseqs" => Ok(Profile::Mmseqs2),
            _ => Err(Error::UnknownProfile(s.to_string())),
        }
    }
}

/// Everything the simulator needs. `SimConfig::default()` is the CLI default
/// (60 genomes, 3,000 contigs, 3 samples, realistic label model, `mmseqs2`
/// label profile).
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Seed of every random draw (ChaCha8): same seed, same bytes.
    pub seed: u64,
    /// Number of genomes (one per species).
    pub genomes: usize,
    /// Number of contigs over all genomes (at least `genomes`).
    pub contigs: usize,
    /// Number of samples (at least 1).
    pub samples: usize,
    /// Mean number of children per parent, from domain→phylum to genus→species.
    /// Taxa per rank are counted bottom-up: `n(rank) = ceil(n(rank below) / b)`.
    pub branching: [f64; 6],
    /// Composition divergence per rank (domain … species), in logit units of
    /// the order-3 Markov chain; each clade adds this much Gaussian noise to
    /// its parent's model. Scaled by `divergence`.
    pub rank_divergence: [f64; 7],
    /// Multiplies `rank_divergence` (1 = default; smaller = harder to separate).
    pub divergence: f64,
    /// Mean contig length (bp) of the log-normal length distribution.
    pub mean_length: f64,
    /// Standard deviation of contig length (bp).
    pub sd_length: f64,
    /// Shortest contig (bp).
    pub min_length: usize,
    /// Longest contig (bp).
    pub max_length: usize,
    /// Share of contigs with one or two runs of `N`.
    pub n_run_rate: f64,
    /// Share of contigs with a lower-case stretch.
    pub lowercase_rate: f64,
    /// Mean depth over the community in each sample (sets library sizes).
    pub mean_depth: f64,
    /// Read length (bp).
    pub read_length: f64,
    /// Log-normal sd of library sizes between samples.
    pub library_sd: f64,
    /// Log-normal sd of genome abundances.
    pub abundance_sd: f64,
    /// Log-normal sd of a genome's abundance between samples.
    pub sample_sd: f64,
    /// Probability that a genome is absent from a sample (S > 1; never from all).
    pub absent_rate: f64,
    /// Mis-mapping floor: an absent genome keeps this share of the mean abundance.
    pub mismapping_floor: f64,
    /// Log-normal sd of the per-contig coverage bias.
    pub coverage_bias_sd: f64,
    /// Negative-binomial dispersion of read counts (larger = closer to Poisson).
    pub dispersion: f64,
    /// Share of species absent from the reference (genus still present).
    pub novel_species: f64,
    /// Share of genera absent from the reference (family still present).
    pub novel_genera: f64,
    /// Share of families absent from the reference (order still present).
    pub novel_families: f64,
    /// How labels are drawn: realistic (default) or independent.
    pub label_model: LabelModel,
    /// The classifier imitated: the realistic model's constants, and the
    /// preset the independent model's noise rates came from (recorded in README.txt).
    pub profile: Profile,
    /// Label-noise rates of the independent model.
    pub noise: LabelNoise,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            genomes: 60,
            contigs: 3000,
            samples: 3,
            branching: [2.0, 2.0, 2.0, 2.0, 2.0, 2.0],
            rank_divergence: [0.3, 0.24, 0.18, 0.15, 0.12, 0.085, 0.04],
            divergence: 1.0,
            mean_length: 6000.0,
            sd_length: 6000.0,
            min_length: 1000,
            max_length: 500_000,
            n_run_rate: 0.03,
            lowercase_rate: 0.03,
            mean_depth: 20.0,
            read_length: 150.0,
            library_sd: 0.3,
            abundance_sd: 1.0,
            sample_sd: 0.6,
            absent_rate: 0.2,
            mismapping_floor: 0.002,
            coverage_bias_sd: 0.2,
            dispersion: 20.0,
            novel_species: 0.15,
            novel_genera: 0.1,
            novel_families: 0.05,
            label_model: LabelModel::Realistic,
            profile: Profile::Mmseqs2,
            noise: Profile::Mmseqs2.noise(),
        }
    }
}

fn bad(name: &'static str, value: impl std::fmt::Display, reason: &str) -> Error {
    Error::BadConfig {
        name,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

fn share(name: &'static str, v: f64) -> Result<()> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(bad(name, v, "must lie in [0, 1]"))
    }
}

fn positive(name: &'static str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(bad(name, v, "must be a positive number"))
    }
}

fn nonneg(name: &'static str, v: f64) -> Result<()> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(bad(name, v, "must be a non-negative number"))
    }
}

impl SimConfig {
    /// A default configuration (realistic label model) for the given label
    /// profile, with the profile's noise rates for the independent model.
    pub fn with_profile(profile: Profile) -> SimConfig {
        SimConfig {
            profile,
            noise: profile.noise(),
            ..SimConfig::default()
        }
    }

    /// Checks every setting.
    ///
    /// # Errors
    /// [`Error::BadConfig`] naming the first setting out of range.
    pub fn validate(&self) -> Result<()> {
        if self.genomes == 0 {
            return Err(bad("genomes", self.genomes, "need at least one genome"));
        }
        if self.contigs < self.genomes {
            return Err(bad(
                "contigs",
                self.contigs,
                "need at least one contig per genome",
            ));
        }
        if self.contigs > 50_000_000 {
            return Err(bad("contigs", self.contigs, "at most 50,000,000"));
        }
        if self.samples == 0 || self.samples > 10_000 {
            return Err(bad("samples", self.samples, "need 1 to 10,000 samples"));
        }
        for b in self.branching {
            if !(b.is_finite() && b >= 1.0) {
                return Err(bad("branching", b, "each value must be >= 1"));
            }
        }
        for d in self.rank_divergence {
            nonneg("rank_divergence", d)?;
        }
        nonneg("divergence", self.divergence)?;
        positive("mean_length", self.mean_length)?;
        nonneg("sd_length", self.sd_length)?;
        if self.min_length < 100 {
            return Err(bad("min_length", self.min_length, "must be >= 100 bp"));
        }
        if self.max_length < self.min_length || self.max_length > 100_000_000 {
            return Err(bad(
                "max_length",
                self.max_length,
                "must lie in [min_length, 100,000,000]",
            ));
        }
        share("n_run_rate", self.n_run_rate)?;
        share("lowercase_rate", self.lowercase_rate)?;
        positive("mean_depth", self.mean_depth)?;
        positive("read_length", self.read_length)?;
        nonneg("library_sd", self.library_sd)?;
        nonneg("abundance_sd", self.abundance_sd)?;
        nonneg("sample_sd", self.sample_sd)?;
        share("absent_rate", self.absent_rate)?;
        share("mismapping_floor", self.mismapping_floor)?;
        nonneg("coverage_bias_sd", self.coverage_bias_sd)?;
        positive("dispersion", self.dispersion)?;
        share("novel_species", self.novel_species)?;
        share("novel_genera", self.novel_genera)?;
        share("novel_families", self.novel_families)?;
        share("unclassified_rate", self.noise.unclassified)?;
        share("wrong_rate", self.noise.wrong)?;
        share("shallow_rate", self.noise.shallow)?;
        share("nearest_rate", self.noise.nearest)?;
        let total = self.noise.unclassified + self.noise.wrong + self.noise.shallow;
        if total > 1.0 + 1e-9 {
            return Err(bad(
                "unclassified_rate + wrong_rate + shallow_rate",
                total,
                "must be <= 1",
            ));
        }
        Ok(())
    }

    /// `key = value` lines of every setting (for README.txt).
    pub fn describe(&self) -> String {
        let f = |v: &[f64]| {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut s = String::new();
        let mut kv = |k: &str, v: String| {
            s.push_str(&format!("{k} = {v}\n"));
        };
        kv("seed", self.seed.to_string());
        kv("genomes", self.genomes.to_string());
        kv("contigs", self.contigs.to_string());
        kv("samples", self.samples.to_string());
        kv("branching", f(&self.branching));
        kv("rank_divergence", f(&self.rank_divergence));
        kv("divergence", self.divergence.to_string());
        kv("mean_length", self.mean_length.to_string());
        kv("sd_length", self.sd_length.to_string());
        kv("min_length", self.min_length.to_string());
        kv("max_length", self.max_length.to_string());
        kv("n_run_rate", self.n_run_rate.to_string());
        kv("lowercase_rate", self.lowercase_rate.to_string());
        kv("mean_depth", self.mean_depth.to_string());
        kv("read_length", self.read_length.to_string());
        kv("library_sd", self.library_sd.to_string());
        kv("abundance_sd", self.abundance_sd.to_string());
        kv("sample_sd", self.sample_sd.to_string());
        kv("absent_rate", self.absent_rate.to_string());
        kv("mismapping_floor", self.mismapping_floor.to_string());
        kv("coverage_bias_sd", self.coverage_bias_sd.to_string());
        kv("dispersion", self.dispersion.to_string());
        kv("novel_species", self.novel_species.to_string());
        kv("novel_genera", self.novel_genera.to_string());
        kv("novel_families", self.novel_families.to_string());
        kv("profile", self.profile.name().to_string());
        kv("label_model", self.label_model.name().to_string());
        match self.label_model {
            LabelModel::Independent => {
                kv("unclassified_rate", self.noise.unclassified.to_string());
                kv("wrong_rate", self.noise.wrong.to_string());
                kv("shallow_rate", self.noise.shallow.to_string());
                kv("nearest_rate", self.noise.nearest.to_string());
            }
            LabelModel::Realistic => s.push_str(&self.profile.realistic().describe()),
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid() {
        assert_eq!(SimConfig::default().validate(), Ok(()));
        assert_eq!(SimConfig::with_profile(Profile::Kraken2).validate(), Ok(()));
    }

    #[test]
    fn fewer_contigs_than_genomes_is_a_bad_config() {
        let cfg = SimConfig {
            genomes: 10,
            contigs: 5,
            ..SimConfig::default()
        };
        assert!(matches!(
            cfg.validate(),
            Err(Error::BadConfig {
                name: "contigs",
                ..
            })
        ));
    }

    #[test]
    fn noise_rates_summing_above_one_are_a_bad_config() {
        let mut cfg = SimConfig::default();
        cfg.noise.unclassified = 0.6;
        cfg.noise.wrong = 0.6;
        assert!(matches!(cfg.validate(), Err(Error::BadConfig { .. })));
    }

    #[test]
    fn label_models_parse_by_name() {
        assert_eq!("Realistic".parse::<LabelModel>(), Ok(LabelModel::Realistic));
        assert_eq!(
            "independent".parse::<LabelModel>(),
            Ok(LabelModel::Independent)
        );
        assert!("uniform".parse::<LabelModel>().is_err());
        assert_eq!(SimConfig::default().label_model, LabelModel::Realistic);
    }

    #[test]
    fn realistic_outcomes_are_probabilities() {
        for p in [Profile::Kraken2, Profile::Mmseqs2] {
            let r = p.realistic();
            for d in 0..=7 {
                let o = r.outcomes(d);
                let sum = o.unclassified + o.wrong + o.relative + o.shallow;
                assert!(sum <= 1.0 + 1e-12 && o.at_depth() >= 0.0, "{p:?} {d}");
            }
            assert_eq!(r.known.relative, 0.0);
        }
    }

    #[test]
    fn profiles_parse_by_name() {
        assert_eq!("Kraken2".parse::<Profile>(), Ok(Profile::Kraken2));
        assert_eq!("mmseqs2".parse::<Profile>(), Ok(Profile::Mmseqs2));
        assert_eq!(
            "blast".parse::<Profile>(),
            Err(Error::UnknownProfile("blast".into()))
        );
    }
}
