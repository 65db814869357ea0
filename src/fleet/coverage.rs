//! Coverage in its two kinds, which answer different questions and never share a name:
//! vocabulary coverage (the share of a fleet the model knows) and prediction coverage (the
//! share that received at least one prediction); of the active entities or of an
//! `--expected` list; and the gates on them.

use std::collections::BTreeSet;

use super::predictions::PredictedEntities;

/// Which coverage a number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// In the model's vocabulary: the model can score it.
    Vocabulary,
    /// Scored at least once in the prediction window: the dashboard shows it.
    Prediction,
}

impl Measure {
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Vocabulary => "vocabulary coverage",
            Measure::Prediction => "prediction coverage",
        }
    }

    /// The gate's flag.
    pub fn flag(self) -> &'static str {
        match self {
            Measure::Vocabulary => "--min-coverage",
            Measure::Prediction => "--min-prediction-coverage",
        }
    }
}

/// Whose coverage: the entities seen in the data lately, or the list the business runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Population {
    Active,
    Expected,
}

impl Population {
    pub fn as_str(self) -> &'static str {
        match self {
            Population::Active => "active entities",
            Population::Expected => "expected entities",
        }
    }
}

/// The share of a population that is covered, and the members that are not.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    /// `covered / total`; 1.0 for an empty population, which misses nothing.
    pub ratio: f64,
    pub covered: usize,
    pub total: usize,
    /// Sorted by name.
    pub missing: Vec<String>,
}

impl Coverage {
    pub fn of<'a>(
        population: impl IntoIterator<Item = &'a str>,
        covers: impl Fn(&str) -> bool,
    ) -> Coverage {
        let mut total = 0;
        let mut missing: Vec<String> = Vec::new();
        for entity in population {
            total += 1;
            if !covers(entity) {
                missing.push(entity.to_string());
            }
        }
        missing.sort_unstable();
        let covered = total - missing.len();
        Coverage {
            ratio: if total == 0 {
                1.0
            } else {
                covered as f64 / total as f64
            },
            covered,
            total,
            missing,
        }
    }
}

/// One coverage against its minimum (`--min-coverage`, `--min-prediction-coverage`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoverageCheck {
    pub measure: Measure,
    pub population: Population,
    pub covered: usize,
    pub total: usize,
    pub coverage: f64,
    pub minimum: f64,
}

impl CoverageCheck {
    pub fn new(
        measure: Measure,
        population: Population,
        coverage: &Coverage,
        minimum: f64,
    ) -> CoverageCheck {
        CoverageCheck {
            measure,
            population,
            covered: coverage.covered,
            total: coverage.total,
            coverage: coverage.ratio,
            minimum,
        }
    }

    /// Coverage exactly at the minimum meets it.
    pub fn is_short(&self) -> bool {
        self.coverage < self.minimum
    }

    /// "prediction coverage 42.50% (170 of 400 active entities) below
    /// --min-prediction-coverage 100.00%"
    pub fn reason(&self) -> String {
        format!(
            "{} {:.2}% ({} of {} {}) {} {} {:.2}%",
            self.measure.as_str(),
            self.coverage * 100.0,
            self.covered,
            self.total,
            self.population.as_str(),
            if self.is_short() { "below" } else { "meets" },
            self.measure.flag(),
            self.minimum * 100.0
        )
    }
}

/// Seed 001's `validate_server_coverage(model, expected_servers)`: every entity the business
/// runs must be in the vocabulary and, with a predictions log, get a prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedCheck {
    pub vocabulary: Coverage,
    /// Present with a predictions log.
    pub prediction: Option<Coverage>,
}

impl ExpectedCheck {
    pub fn assess(
        expected: &BTreeSet<String>,
        vocabulary: &BTreeSet<String>,
        predicted: Option<&PredictedEntities>,
    ) -> ExpectedCheck {
        let listed = || expected.iter().map(String::as_str);
        ExpectedCheck {
            vocabulary: Coverage::of(listed(), |e| vocabulary.contains(e)),
            prediction: predicted.map(|p| Coverage::of(listed(), |e| p.entities.contains(e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn coverage_counts_and_sorts_what_it_misses() {
        let c = Coverage::of(["d", "a", "c", "b"], |e| e == "a" || e == "c");
        assert_eq!((c.covered, c.total, c.ratio), (2, 4, 0.5));
        assert_eq!(c.missing, vec!["b", "d"]);
        let none = Coverage::of([], |_| false);
        assert_eq!((none.ratio, none.total), (1.0, 0));
    }

    /// Seed 001: "we train 400 and only 170 are ever predicted on the dashboard".
    #[test]
    fn seed_170_of_400_is_short_of_full_prediction_coverage() {
        let fleet: Vec<String> = (0..400).map(|i| format!("srv{i:03}")).collect();
        let c = Coverage::of(fleet.iter().map(String::as_str), |e| e < "srv170");
        assert_eq!((c.covered, c.missing.len()), (170, 230));
        assert_eq!(c.missing[0], "srv170");
        let check = CoverageCheck::new(Measure::Prediction, Population::Active, &c, 1.0);
        assert!(check.is_short());
        assert_eq!(
            check.reason(),
            "prediction coverage 42.50% (170 of 400 active entities) below \
             --min-prediction-coverage 100.00%"
        );
    }

    #[test]
    fn a_coverage_exactly_at_its_minimum_meets_it() {
        let c = Coverage::of(["a", "b", "c", "d", "e"], |e| e != "e");
        let check = CoverageCheck::new(Measure::Vocabulary, Population::Expected, &c, 0.8);
        assert!(!check.is_short());
        assert_eq!(
            check.reason(),
            "vocabulary coverage 80.00% (4 of 5 expected entities) meets --min-coverage 80.00%"
        );
        let strict = CoverageCheck {
            minimum: 0.81,
            ..check
        };
        assert!(strict.is_short());
    }

    #[test]
    fn expected_entities_are_checked_against_the_vocabulary_and_the_predictions() {
        let expected = set(&["s1", "s2", "s3", "s4"]);
        let predicted = PredictedEntities {
            entities: set(&["s1", "s4", "x9"]),
            ..PredictedEntities::default()
        };
        let check = ExpectedCheck::assess(&expected, &set(&["s1", "s2", "s9"]), Some(&predicted));
        assert_eq!(check.vocabulary.missing, vec!["s3", "s4"]);
        let prediction = check.prediction.unwrap();
        assert_eq!(prediction.missing, vec!["s2", "s3"]);
        assert_eq!(prediction.ratio, 0.5);
        let without_log = ExpectedCheck::assess(&expected, &set(&["s1"]), None);
        assert_eq!(
            (without_log.vocabulary.ratio, without_log.prediction),
            (0.25, None)
        );
    }
}
