//! Schema changes between the baseline and the current data: a feature the current data lacks,
//! or whose type changed, cannot be compared. Both are data problems, so each is a FAIL for
//! that feature (`verdict::decide_features`), never an OK and never an error.

use serde::Serialize;

use crate::data::ColumnKind;

/// Why a feature of the baseline could not be compared on the current data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum SchemaChange {
    MissingInCurrent,
    /// Types as Polars names them ("f64", "str"), or the kind a profile recorded.
    TypeChanged {
        baseline: String,
        current: String,
    },
}

impl SchemaChange {
    /// The feature's reason in the report and the table.
    pub fn reason(&self) -> String {
        match self {
            SchemaChange::MissingInCurrent => "missing in current".to_string(),
            SchemaChange::TypeChanged { baseline, current } => {
                format!("type changed: {baseline} -> {current}")
            }
        }
    }
}

/// What a column's type means for a comparison; a change of family is a type change, a change
/// within one (i64 to f64, str to categorical, a datetime's unit) is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeFamily {
    Numeric,
    Text,
    Boolean,
    Temporal,
    /// Lists, structs, binary: nothing refit compares.
    Other,
    /// Text or boolean: all a profile written before refit recorded types says of a
    /// categorical feature.
    Categories,
}

impl TypeFamily {
    /// The family of a type from its Polars name (`DataType`'s `Display`: "i64", "str",
    /// "datetime[μs, UTC]"), so profiles and tables are classified alike.
    pub fn of_name(dtype: &str) -> TypeFamily {
        let base = dtype.split('[').next().unwrap_or(dtype);
        match base {
            "i8" | "i16" | "i32" | "i64" | "i128" | "u8" | "u16" | "u32" | "u64" | "u128"
            | "f16" | "f32" | "f64" => TypeFamily::Numeric,
            "str" | "cat" | "enum" => TypeFamily::Text,
            "bool" => TypeFamily::Boolean,
            "date" | "datetime" | "time" | "duration" => TypeFamily::Temporal,
            _ => TypeFamily::Other,
        }
    }

    /// A profile without recorded types: its kind is all there is.
    pub fn of_kind(kind: ColumnKind) -> TypeFamily {
        match kind {
            ColumnKind::Numeric => TypeFamily::Numeric,
            ColumnKind::Categorical => TypeFamily::Categories,
        }
    }

    fn matches(self, other: TypeFamily) -> bool {
        use TypeFamily::{Boolean, Categories, Text};
        self == other
            || matches!(
                (self, other),
                (Categories, Text | Boolean) | (Text | Boolean, Categories)
            )
    }

    /// Whether `--categorical` may compare a column of this family as categories.
    fn has_categories(self) -> bool {
        use TypeFamily::{Boolean, Categories, Numeric, Text};
        matches!(self, Numeric | Text | Boolean | Categories)
    }
}

/// One side's type of a feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnType {
    /// As Polars names it, or the kind a profile recorded ("numeric", "categorical").
    pub dtype: String,
    pub family: TypeFamily,
    /// No value at all (all null, or an all-empty CSV column): its type says nothing.
    pub empty: bool,
}

impl ColumnType {
    pub fn named(dtype: &str, empty: bool) -> ColumnType {
        ColumnType {
            dtype: dtype.to_string(),
            family: TypeFamily::of_name(dtype),
            empty,
        }
    }

    /// A profile feature: its recorded dtype, or only its kind for an older profile.
    pub fn profiled(dtype: Option<&str>, kind: ColumnKind) -> ColumnType {
        match dtype {
            Some(dtype) => ColumnType::named(dtype, false),
            None => ColumnType {
                dtype: kind_name(kind).to_string(),
                family: TypeFamily::of_kind(kind),
                empty: false,
            },
        }
    }
}

fn kind_name(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Numeric => "numeric",
        ColumnKind::Categorical => "categorical",
    }
}

/// The rule: a feature present on both sides changed type when the families differ. An empty
/// column on either side takes the other's type; `as_categories` (`--categorical`) compares
/// numbers, text and booleans alike.
pub fn type_change(
    baseline: &ColumnType,
    current: &ColumnType,
    as_categories: bool,
) -> Option<SchemaChange> {
    let comparable = baseline.empty
        || current.empty
        || baseline.family.matches(current.family)
        || (as_categories && baseline.family.has_categories() && current.family.has_categories());
    (!comparable).then(|| SchemaChange::TypeChanged {
        baseline: baseline.dtype.clone(),
        current: current.dtype.clone(),
    })
}

#[cfg(test)]
mod tests {
    use polars::prelude::{DataType, TimeUnit, TimeZone};

    use super::*;

    fn typed(dtype: &str) -> ColumnType {
        ColumnType::named(dtype, false)
    }

    #[test]
    fn families_follow_polars_type_names() {
        use TypeFamily::*;
        // The names are Polars' own: a Polars upgrade that renames one fails here.
        let cases = [
            (DataType::Int64, Numeric),
            (DataType::UInt8, Numeric),
            (DataType::Float32, Numeric),
            (DataType::Float64, Numeric),
            (DataType::String, Text),
            (DataType::Boolean, Boolean),
            (DataType::Date, Temporal),
            (DataType::Datetime(TimeUnit::Microseconds, None), Temporal),
            (
                DataType::Datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC)),
                Temporal,
            ),
            (DataType::Duration(TimeUnit::Milliseconds), Temporal),
            (DataType::List(Box::new(DataType::Int64)), Other),
            (DataType::Binary, Other),
        ];
        for (dtype, family) in cases {
            assert_eq!(TypeFamily::of_name(&dtype.to_string()), family, "{dtype}");
        }
        assert_eq!(DataType::Float64.to_string(), "f64");
        assert_eq!(DataType::String.to_string(), "str");
    }

    #[test]
    fn a_change_of_family_is_a_type_change_with_both_dtypes() {
        assert_eq!(
            type_change(&typed("f64"), &typed("str"), false),
            Some(SchemaChange::TypeChanged {
                baseline: "f64".into(),
                current: "str".into()
            })
        );
        assert_eq!(
            type_change(&typed("f64"), &typed("str"), false)
                .unwrap()
                .reason(),
            "type changed: f64 -> str"
        );
        for (baseline, current) in [
            ("bool", "str"),
            ("str", "datetime[μs]"),
            ("i64", "bool"),
            ("f64", "list[f64]"),
        ] {
            assert!(
                type_change(&typed(baseline), &typed(current), false).is_some(),
                "{baseline} -> {current}"
            );
        }
    }

    #[test]
    fn a_change_within_a_family_is_not() {
        for (baseline, current) in [
            ("i64", "f64"),
            ("u8", "f32"),
            ("str", "cat"),
            ("datetime[ms]", "datetime[μs, UTC]"),
        ] {
            assert_eq!(
                type_change(&typed(baseline), &typed(current), false),
                None,
                "{baseline} -> {current}"
            );
        }
    }

    #[test]
    fn empty_columns_and_categorical_overrides_keep_the_comparison() {
        let empty_text = ColumnType::named("str", true);
        assert_eq!(type_change(&typed("f64"), &empty_text, false), None);
        assert_eq!(type_change(&empty_text, &typed("f64"), false), None);
        assert_eq!(type_change(&typed("i64"), &typed("str"), true), None);
        assert!(type_change(&typed("str"), &typed("datetime[μs]"), true).is_some());
    }

    #[test]
    fn an_older_profile_is_judged_by_its_kind() {
        let categorical = ColumnType::profiled(None, ColumnKind::Categorical);
        let numeric = ColumnType::profiled(None, ColumnKind::Numeric);
        assert_eq!(type_change(&categorical, &typed("bool"), false), None);
        assert_eq!(type_change(&categorical, &typed("str"), false), None);
        assert_eq!(type_change(&numeric, &typed("i64"), false), None);
        assert_eq!(
            type_change(&numeric, &typed("str"), false).map(|c| c.reason()),
            Some("type changed: numeric -> str".to_string())
        );
        let recorded = ColumnType::profiled(Some("i64"), ColumnKind::Categorical);
        assert_eq!(type_change(&recorded, &typed("i64"), false), None);
    }

    #[test]
    fn missing_in_current_reads_as_such() {
        assert_eq!(
            SchemaChange::MissingInCurrent.reason(),
            "missing in current"
        );
    }
}
