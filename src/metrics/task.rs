//! What a model predicts, which decides which metrics judge it.

/// What a model predicts: a probability of the positive class, or a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Binary,
    Regression,
}

impl Task {
    pub fn name(self) -> &'static str {
        match self {
            Task::Binary => "binary",
            Task::Regression => "regression",
        }
    }
}

impl std::str::FromStr for Task {
    type Err = String;
    fn from_str(s: &str) -> Result<Task, String> {
        match s {
            "binary" => Ok(Task::Binary),
            "regression" => Ok(Task::Regression),
            other => Err(format!(
                "unknown task `{other}`: expected binary or regression"
            )),
        }
    }
}
