//! Reading a contract a person may have edited: every error names the file and the field
//! (`columns[2].max_null_share`), and says what was expected.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::format::{Contract, CONTRACT_FORMAT};

impl Contract {
    /// Reads and checks a contract file.
    pub fn load(path: &Path) -> Result<Contract> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the contract {}", path.display()))?;
        Contract::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// Parses and checks a contract; the error names the field at fault.
    pub fn from_json(text: &str) -> Result<Contract> {
        let value: Value = serde_json::from_str(text).context("not valid JSON")?;
        if !value.is_object() {
            bail!("expected a refit contract (a JSON object)");
        }
        let contract = match serde_json::from_value::<Contract>(value.clone()) {
            Ok(contract) => contract,
            Err(error) => match failing_field(&value) {
                Some(path) => bail!("field `{path}`: {error}"),
                None => bail!("{error}"),
            },
        };
        contract.check_rules()?;
        Ok(contract)
    }

    /// What serde cannot see: values in range, bounds in order, the columns the roles name.
    fn check_rules(&self) -> Result<()> {
        if self.format != CONTRACT_FORMAT {
            bail!(
                "field `format`: {:?} is not a refit contract; expected \"{CONTRACT_FORMAT}\"",
                self.format
            );
        }
        let mut names = BTreeSet::new();
        for (i, column) in self.columns.iter().enumerate() {
            if !names.insert(column.name.as_str()) {
                bail!(
                    "field `columns[{i}].name`: column `{}` is listed twice",
                    column.name
                );
            }
            check_column(i, column)?;
        }
        if let (Some(min), Some(max)) = (self.rows.min, self.rows.max) {
            if min > max {
                bail!("field `rows`: min {min} is above max {max}");
            }
        }
        self.check_roles(&names)
    }

    fn check_roles(&self, names: &BTreeSet<&str>) -> Result<()> {
        let listed = |field: &str, column: &str| -> Result<()> {
            if names.contains(column) {
                Ok(())
            } else {
                bail!("field `{field}`: `{column}` is not one of the contract's columns")
            }
        };
        if let Some(time) = &self.time_column {
            listed("time_column", time)?;
        }
        for (i, column) in self.key.iter().enumerate() {
            listed(&format!("key[{i}]"), column)?;
        }
        if self.freshness.is_some() && self.time_column.is_none() {
            bail!("field `freshness`: needs a `time_column` to read the timestamps from");
        }
        if let Some(entities) = &self.entities {
            listed("entities.column", &entities.column)?;
            let timed = entities.min_history.is_some() || entities.max_gap.is_some();
            if timed && self.time_column.is_none() {
                bail!(
                    "field `entities`: min_history and max_gap need a `time_column`; set it or \
                     make them null"
                );
            }
        }
        Ok(())
    }
}

fn check_column(i: usize, column: &super::format::ColumnRule) -> Result<()> {
    use super::format::Kind;
    let field = |name: &str| format!("columns[{i}].{name}` (column `{}`)", column.name);
    if let Some(share) = column.max_null_share {
        if !(0.0..=1.0).contains(&share) {
            bail!(
                "field `{}: {share} is not a share between 0 and 1",
                field("max_null_share")
            );
        }
    }
    if let Some(range) = column.range {
        if !(range.min.is_finite() && range.max.is_finite() && range.min <= range.max) {
            bail!(
                "field `{}: expected finite numbers with min <= max, got [{}, {}]",
                field("range"),
                range.min,
                range.max
            );
        }
        if column.kind.is_some_and(|k| k != Kind::Numeric) {
            bail!("field `{}: a range needs type numeric", field("range"));
        }
    }
    if let Some(domain) = &column.domain {
        if !(0.0..=1.0).contains(&domain.max_unseen_share) {
            bail!(
                "field `{}: {} is not a share between 0 and 1",
                field("domain.max_unseen_share"),
                domain.max_unseen_share
            );
        }
        if column.kind.is_some_and(|k| k != Kind::Categorical) {
            bail!(
                "field `{}: a domain needs type categorical",
                field("domain")
            );
        }
    }
    Ok(())
}

/// One step of a path into the JSON document.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// The deepest field whose removal makes the document parse (or only lack that very field):
/// serde's own errors do not say where they are.
fn failing_field(root: &Value) -> Option<String> {
    let mut path: Vec<Step> = Vec::new();
    loop {
        let node = lookup(root, &path)?;
        let children: Vec<Step> = match node {
            Value::Object(map) => map.keys().cloned().map(Step::Key).collect(),
            Value::Array(items) => (0..items.len()).map(Step::Index).collect(),
            _ => break,
        };
        let parses_without = |step: &Step| {
            let mut trial = root.clone();
            remove(&mut trial, &path, step);
            serde_json::from_value::<Contract>(trial)
        };
        let culprit = children
            .iter()
            .find(|step| parses_without(step).is_ok())
            .or_else(|| {
                children
                    .iter()
                    .find(|step| match (step, parses_without(step)) {
                        (Step::Key(key), Err(e)) => {
                            e.to_string() == format!("missing field `{key}`")
                        }
                        _ => false,
                    })
            });
        match culprit {
            Some(step) => path.push(step.clone()),
            None => break,
        }
    }
    (!path.is_empty()).then(|| render(&path))
}

fn lookup<'a>(root: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(root, |node, step| match step {
        Step::Key(key) => node.get(key),
        Step::Index(i) => node.get(i),
    })
}

fn remove(root: &mut Value, path: &[Step], step: &Step) {
    let mut node = root;
    for s in path {
        node = match s {
            Step::Key(key) => &mut node[key.as_str()],
            Step::Index(i) => &mut node[*i],
        };
    }
    match (node, step) {
        (Value::Object(map), Step::Key(key)) => {
            map.remove(key);
        }
        (Value::Array(items), Step::Index(i)) => {
            items.remove(*i);
        }
        _ => {}
    }
}

fn render(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) if out.is_empty() => out.push_str(key),
            Step::Key(key) => {
                out.push('.');
                out.push_str(key);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contract() -> Value {
        json!({
            "format": CONTRACT_FORMAT,
            "time_column": "ts",
            "columns": [
                { "name": "ts", "type": "timestamp", "max_null_share": 0.0 },
                { "name": "cpu", "type": "numeric", "max_null_share": 0.05,
                  "range": { "min": 0.0, "max": 100.0 } },
                { "name": "region", "type": "categorical",
                  "domain": { "values": ["east", "west"], "max_unseen_share": 0.0 } }
            ],
            "entities": { "column": "region", "min_history": "7d", "min_rows": 1000 }
        })
    }

    fn error(value: Value) -> String {
        format!("{:#}", Contract::from_json(&value.to_string()).unwrap_err())
    }

    #[test]
    fn a_hand_written_contract_loads_with_defaults() {
        let c = Contract::from_json(&contract().to_string()).unwrap();
        assert!(c.allow_extra_columns);
        assert!(c.columns.iter().all(|c| c.required));
        assert_eq!(c.entities.unwrap().min_history.unwrap().to_string(), "7d");
    }

    #[test]
    fn a_wrong_value_names_its_field() {
        let mut c = contract();
        c["columns"][1]["max_null_share"] = json!("lots");
        let err = error(c);
        assert!(
            err.starts_with("field `columns[1].max_null_share`"),
            "{err}"
        );
        assert!(err.contains("expected f64"), "{err}");

        let mut c = contract();
        c["columns"][2]["domain"]["valeus"] = json!([]);
        assert!(error(c).starts_with("field `columns[2].domain.valeus`: unknown field"));

        let mut c = contract();
        c["entities"]["min_history"] = json!("7 days");
        let err = error(c);
        assert!(err.starts_with("field `entities.min_history`"), "{err}");

        let mut c = contract();
        c["columns"][0]["type"] = json!("float");
        let err = error(c);
        assert!(err.starts_with("field `columns[0].type`"), "{err}");
        assert!(err.contains("`numeric`, `categorical`"), "{err}");

        let mut c = contract();
        c["columns"][0]["name"] = json!(5);
        assert!(error(c).starts_with("field `columns[0].name`"));
    }

    #[test]
    fn rules_out_of_range_or_order_name_their_field() {
        let mut c = contract();
        c["columns"][1]["range"] = json!({ "min": 5.0, "max": 1.0 });
        assert!(error(c).contains("`columns[1].range` (column `cpu`)"));
        let mut c = contract();
        c["columns"][1]["max_null_share"] = json!(1.5);
        assert!(error(c).contains("`columns[1].max_null_share` (column `cpu`): 1.5"));
        let mut c = contract();
        c["format"] = json!("refit-profile");
        assert!(error(c).starts_with("field `format`"));
        let mut c = contract();
        c["time_column"] = json!("when");
        assert!(error(c).contains("`time_column`: `when` is not one of"));
        let mut c = contract();
        c["time_column"] = json!(null);
        assert!(error(c).starts_with("field `entities`"));
        let mut c = contract();
        c["columns"][2]["name"] = json!("cpu");
        assert!(error(c).contains("listed twice"));
        let mut c = contract();
        c["columns"][2]["type"] = json!("numeric");
        assert!(error(c).contains("a domain needs type categorical"));
    }

    #[test]
    fn not_json_or_not_an_object_says_so() {
        let err = format!("{:#}", Contract::from_json("{").unwrap_err());
        assert!(err.starts_with("not valid JSON"), "{err}");
        let err = format!("{:#}", Contract::from_json("[1]").unwrap_err());
        assert!(err.contains("expected a refit contract"), "{err}");
    }
}
