//! Entity coverage: which of the data's entities (devices, stores, ...) the challenger was
//! trained on, so a model cannot pass while blind to part of the fleet.

use std::collections::BTreeSet;

use serde::Serialize;

/// Field order is the report's `coverage` object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// The entity column.
    pub entity: String,
    /// Share of distinct values the challenger knows; 1.0 when there are none.
    pub coverage: f64,
    /// Distinct values in the selected rows.
    pub entities: usize,
    /// Values unknown to the challenger, sorted.
    pub missing: Vec<String>,
}

/// Coverage of the distinct values `seen` in the data by the challenger's `vocabulary`.
pub fn entity_coverage(entity: &str, seen: &BTreeSet<String>, vocabulary: &[String]) -> Coverage {
    let known: BTreeSet<&str> = vocabulary.iter().map(String::as_str).collect();
    let missing: Vec<String> = seen
        .iter()
        .filter(|v| !known.contains(v.as_str()))
        .cloned()
        .collect();
    let coverage = if seen.is_empty() {
        1.0
    } else {
        1.0 - missing.len() as f64 / seen.len() as f64
    };
    Coverage {
        entity: entity.to_string(),
        coverage,
        entities: seen.len(),
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(values: &[&str]) -> BTreeSet<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn share_of_distinct_values_the_vocabulary_knows() {
        let vocabulary = ["a".to_string(), "b".to_string(), "z".to_string()];
        let c = entity_coverage("device", &set(&["d", "a", "c", "b"]), &vocabulary);
        assert_eq!(c.missing, ["c", "d"]);
        assert_eq!((c.entities, c.coverage), (4, 0.5));
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"entity":"device","coverage":0.5,"entities":4,"missing":["c","d"]}"#
        );
    }

    #[test]
    fn no_entities_is_full_coverage() {
        let c = entity_coverage("device", &set(&[]), &[]);
        assert_eq!((c.entities, c.coverage), (0, 1.0));
        assert!(c.missing.is_empty());
    }
}
