//! `--model linear`: L2-regularised logistic regression (binary) or ridge regression on
//! standardised numerics and one-hot categoricals. The objective matches scikit-learn's
//! `LogisticRegression(C=1/l2)` and `Ridge(alpha=l2)` on `StandardScaler` + `OneHotEncoder`
//! features, with an unpenalised intercept; fixtures/model/make_linear_golden.py pins it.
//!
//! model.json is plain coefficients, so serving code can score without refit:
//! margin = intercept + sum(coef * (x - mean) / scale) + category coefficient; binary
//! scores are 1 / (1 + exp(-margin)). A missing numeric counts as its mean, a missing or
//! unknown category as zero.

use anyhow::{bail, Result};
use ndarray::{s, Array1, Array2, ArrayView1};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::encode::FeatureMatrix;
use crate::model::Task;

/// Rows per partial sum: fixed, so the summation order (and every output bit) does not
/// depend on the number of threads.
const CHUNK_ROWS: usize = 8192;
/// Wider one-hot designs make the normal equations slow and the coefficients meaningless.
pub const MAX_DESIGN_COLUMNS: usize = 2048;
const MAX_NEWTON_STEPS: usize = 100;
const NEWTON_TOLERANCE: f64 = 1e-10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericTerm {
    pub feature: String,
    pub mean: f64,
    pub scale: f64,
    pub coefficient: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalTerm {
    pub feature: String,
    /// One coefficient per vocabulary entry, in vocabulary order.
    pub categories: Vec<String>,
    pub coefficients: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Term {
    Numeric(NumericTerm),
    Categorical(CategoricalTerm),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    pub format: String,
    pub task: Task,
    pub l2: f64,
    pub intercept: f64,
    /// In feature order.
    pub terms: Vec<Term>,
}

pub const LINEAR_FORMAT: &str = "refit-linear/1";

/// How each feature column of the matrix enters the design: standardised, or one-hot over a
/// vocabulary of the given size.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnEncoding {
    Numeric {
        name: String,
    },
    OneHot {
        name: String,
        categories: Vec<String>,
    },
}

struct Design {
    /// Per matrix column: (offset in the design, mean, scale) for numerics, offset for one-hot.
    slots: Vec<Slot>,
    width: usize,
}

#[derive(Clone, Copy)]
enum Slot {
    Numeric { at: usize, mean: f64, scale: f64 },
    OneHot { at: usize, size: usize },
}

impl Design {
    /// Fills `row` (intercept first) for matrix row `i`.
    fn fill(&self, x: &FeatureMatrix, i: usize, row: &mut Array1<f64>) {
        row.fill(0.0);
        row[0] = 1.0;
        for (j, slot) in self.slots.iter().enumerate() {
            let v = x.values[j * x.rows + i];
            match *slot {
                Slot::Numeric { at, mean, scale } => {
                    row[at] = if v.is_nan() { 0.0 } else { (v - mean) / scale };
                }
                Slot::OneHot { at, size } => {
                    if !v.is_nan() && (v as usize) < size {
                        row[at + v as usize] = 1.0;
                    }
                }
            }
        }
    }
}

fn build_design(x: &FeatureMatrix, columns: &[ColumnEncoding]) -> Result<Design> {
    let mut slots = Vec::with_capacity(columns.len());
    let mut width = 1;
    for (j, encoding) in columns.iter().enumerate() {
        match encoding {
            ColumnEncoding::Numeric { .. } => {
                let (mean, scale) = mean_and_scale(x.column(j));
                slots.push(Slot::Numeric {
                    at: width,
                    mean,
                    scale,
                });
                width += 1;
            }
            ColumnEncoding::OneHot { categories, .. } => {
                slots.push(Slot::OneHot {
                    at: width,
                    size: categories.len(),
                });
                width += categories.len();
            }
        }
    }
    if width > MAX_DESIGN_COLUMNS {
        bail!(
            "the linear model would have {width} columns after one-hot encoding (limit \
             {MAX_DESIGN_COLUMNS}); exclude high-cardinality categoricals or use --model gbm"
        );
    }
    Ok(Design { slots, width })
}

/// Mean and population standard deviation (StandardScaler's) of the non-missing values; a
/// constant column gets scale 1 so it contributes nothing instead of dividing by zero.
fn mean_and_scale(values: &[f64]) -> (f64, f64) {
    let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if present.is_empty() {
        return (0.0, 1.0);
    }
    let n = present.len() as f64;
    let mean = present.iter().sum::<f64>() / n;
    let variance = present.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let scale = if variance > 0.0 { variance.sqrt() } else { 1.0 };
    (mean, scale)
}

/// Gradient X'r and Hessian X'WX of the loss at `beta`, one design row at a time (most of a
/// one-hot row is zeros, which are skipped), in fixed-size chunks summed in order.
/// `weight_and_residual(i, margin)` gives row `i`'s weight and residual.
fn accumulate(
    x: &FeatureMatrix,
    design: &Design,
    beta: &Array1<f64>,
    weight_and_residual: impl Fn(usize, f64) -> (f64, f64) + Sync,
) -> (Array1<f64>, Array2<f64>) {
    let p = design.width;
    let partials: Vec<(Array1<f64>, Array2<f64>)> = (0..x.rows.div_ceil(CHUNK_ROWS))
        .into_par_iter()
        .map(|chunk| {
            let mut gradient = Array1::zeros(p);
            let mut hessian = Array2::zeros((p, p));
            let mut row = Array1::zeros(p);
            for i in chunk * CHUNK_ROWS..((chunk + 1) * CHUNK_ROWS).min(x.rows) {
                design.fill(x, i, &mut row);
                let (w, r) = weight_and_residual(i, row.dot(beta));
                // The upper triangle only; the lower one is mirrored once at the end.
                for a in 0..p {
                    if row[a] == 0.0 {
                        continue;
                    }
                    gradient[a] += r * row[a];
                    let wa = w * row[a];
                    for b in a..p {
                        hessian[[a, b]] += wa * row[b];
                    }
                }
            }
            (gradient, hessian)
        })
        .collect();
    let (gradient, mut hessian) = partials.into_iter().fold(
        (Array1::zeros(p), Array2::zeros((p, p))),
        |(gradient, hessian), (g, h)| (gradient + g, hessian + h),
    );
    for a in 0..p {
        for b in 0..a {
            hessian[[a, b]] = hessian[[b, a]];
        }
    }
    (gradient, hessian)
}

/// Fits the model. `y` is 0/1 for binary, the target for regression.
pub fn train_linear(
    x: &FeatureMatrix,
    y: &[f64],
    columns: &[ColumnEncoding],
    task: Task,
    l2: f64,
) -> Result<LinearModel> {
    let design = build_design(x, columns)?;
    let p = design.width;
    let mut beta = Array1::zeros(p);
    match task {
        Task::Regression => {
            let (gradient, hessian) = accumulate(x, &design, &beta, |i, _| (1.0, -y[i]));
            // Normal equations: (X'X + l2 I') beta = X'y; gradient at zero is -X'y.
            beta = solve_penalised(hessian, &-gradient, l2)?;
        }
        Task::Binary => {
            for _ in 0..MAX_NEWTON_STEPS {
                let (mut gradient, hessian) = accumulate(x, &design, &beta, |i, margin| {
                    let prob = sigmoid(margin);
                    (prob * (1.0 - prob), prob - y[i])
                });
                for a in 1..p {
                    gradient[a] += l2 * beta[a];
                }
                let step = solve_penalised(hessian, &gradient, l2)?;
                let largest = step.iter().fold(0.0f64, |m, s| m.max(s.abs()));
                beta -= &step;
                if largest < NEWTON_TOLERANCE {
                    break;
                }
            }
        }
    }
    let terms = columns
        .iter()
        .zip(&design.slots)
        .map(|(encoding, slot)| match (encoding, *slot) {
            (ColumnEncoding::Numeric { name }, Slot::Numeric { at, mean, scale }) => {
                Term::Numeric(NumericTerm {
                    feature: name.clone(),
                    mean,
                    scale,
                    coefficient: beta[at],
                })
            }
            (ColumnEncoding::OneHot { name, categories }, Slot::OneHot { at, size }) => {
                Term::Categorical(CategoricalTerm {
                    feature: name.clone(),
                    categories: categories.clone(),
                    coefficients: beta.slice(s![at..at + size]).to_vec(),
                })
            }
            _ => unreachable!("slots are built from the same encodings"),
        })
        .collect();
    Ok(LinearModel {
        format: LINEAR_FORMAT.to_string(),
        task,
        l2,
        intercept: beta[0],
        terms,
    })
}

/// Solves (H + l2 * I') s = g, where I' leaves the intercept (index 0) unpenalised.
fn solve_penalised(mut hessian: Array2<f64>, rhs: &Array1<f64>, l2: f64) -> Result<Array1<f64>> {
    for a in 1..hessian.nrows() {
        hessian[[a, a]] += l2;
    }
    cholesky_solve(hessian, rhs.view())
}

/// Solves A s = b for a symmetric positive definite A by Cholesky: A = L L', with L written over
/// A's lower triangle.
pub fn cholesky_solve(mut a: Array2<f64>, b: ArrayView1<f64>) -> Result<Array1<f64>> {
    let p = b.len();
    for j in 0..p {
        let l_j = a.slice(s![j, ..j]);
        let d = a[[j, j]] - l_j.dot(&l_j);
        if d <= 0.0 || !d.is_finite() {
            bail!(
                "the linear model's equations are singular: with --l2 0, a constant or duplicated \
                 feature, or any categorical's one-hot columns (they sum to the intercept), \
                 leave no unique solution; use --l2 > 0"
            );
        }
        let d = d.sqrt();
        a[[j, j]] = d;
        for i in j + 1..p {
            a[[i, j]] = (a[[i, j]] - a.slice(s![i, ..j]).dot(&a.slice(s![j, ..j]))) / d;
        }
    }
    // Forward (L z = b), then backward (L' s = z) substitution.
    let mut z = b.to_owned();
    for i in 0..p {
        z[i] = (z[i] - a.slice(s![i, ..i]).dot(&z.slice(s![..i]))) / a[[i, i]];
    }
    for i in (0..p).rev() {
        z[i] = (z[i] - a.slice(s![i + 1.., i]).dot(&z.slice(s![i + 1..]))) / a[[i, i]];
    }
    Ok(z)
}

pub fn sigmoid(margin: f64) -> f64 {
    1.0 / (1.0 + (-margin).exp())
}

impl LinearModel {
    /// Scores for the rows of `x`, whose columns are in the model's term order.
    pub fn predict(&self, x: &FeatureMatrix) -> Vec<f64> {
        let mut margins = vec![self.intercept; x.rows];
        for (j, term) in self.terms.iter().enumerate() {
            let column = x.column(j);
            match term {
                Term::Numeric(t) => {
                    for (m, &v) in margins.iter_mut().zip(column) {
                        if !v.is_nan() {
                            *m += t.coefficient * (v - t.mean) / t.scale;
                        }
                    }
                }
                Term::Categorical(t) => {
                    for (m, &v) in margins.iter_mut().zip(column) {
                        if !v.is_nan() {
                            *m += t.coefficients.get(v as usize).copied().unwrap_or(0.0);
                        }
                    }
                }
            }
        }
        match self.task {
            Task::Binary => margins.into_iter().map(sigmoid).collect(),
            Task::Regression => margins,
        }
    }

    pub fn feature_names(&self) -> Vec<&str> {
        self.terms
            .iter()
            .map(|t| match t {
                Term::Numeric(n) => n.feature.as_str(),
                Term::Categorical(c) => c.feature.as_str(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn cholesky_solves_a_small_system() {
        // [[4, 2], [2, 3]] s = [2, 1]  ->  s = [0.5, 0]
        let s = cholesky_solve(array![[4.0, 2.0], [2.0, 3.0]], array![2.0, 1.0].view()).unwrap();
        assert!((s[0] - 0.5).abs() < 1e-12 && s[1].abs() < 1e-12, "{s:?}");
        assert!(cholesky_solve(array![[1.0, 1.0], [1.0, 1.0]], array![1.0, 1.0].view()).is_err());
    }

    #[test]
    fn ols_recovers_an_exact_line() {
        let xs: Vec<f64> = (0..50).map(f64::from).collect();
        let y: Vec<f64> = xs.iter().map(|x| 3.0 + 2.0 * x).collect();
        let x = FeatureMatrix {
            values: xs.clone(),
            rows: 50,
            cols: 1,
        };
        let columns = [ColumnEncoding::Numeric { name: "x".into() }];
        let model = train_linear(&x, &y, &columns, Task::Regression, 0.0).unwrap();
        let predicted = model.predict(&x);
        for (p, t) in predicted.iter().zip(&y) {
            assert!((p - t).abs() < 1e-9);
        }
    }
}
