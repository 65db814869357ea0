//! Ranking metrics over groups of rows (a query, a user): precision@k, recall@k, NDCG@k, MAP@k,
//! MRR and hit rate@k, each averaged over the groups that have a relevant item. Pinned to ranx
//! and trec_eval (through pytrec_eval), and NDCG to scikit-learn's ndcg_score
//! (`fixtures/ranking/make_golden.py`).
//!
//! - An item is relevant when its label is > 0; NDCG's gain is the label (linear gain, as
//!   trec_eval and scikit-learn), so graded labels (0-3) weigh more the higher they are.
//! - precision@k divides by k even in a group with fewer than k items (trec_eval, ranx);
//!   recall@k and AP@k divide by the group's relevant items.
//! - Ties in scores: the expected value over every order of the tied items, in closed form
//!   (scikit-learn's NDCG does the same), so a result never depends on row or shard order.
//! - A group without a relevant item has no defined recall, AP, NDCG or reciprocal rank: it is
//!   left out of every mean and counted ([`RankingSummary::groups_without_relevant`]).

use std::fmt;

/// What a ranking metric measures; each may be cut at k.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RankingKind {
    Precision,
    Recall,
    Ndcg,
    Map,
    Mrr,
    HitRate,
}

impl RankingKind {
    const ALL: [RankingKind; 6] = [
        RankingKind::Precision,
        RankingKind::Recall,
        RankingKind::Ndcg,
        RankingKind::Map,
        RankingKind::Mrr,
        RankingKind::HitRate,
    ];

    fn name(self) -> &'static str {
        match self {
            RankingKind::Precision => "precision",
            RankingKind::Recall => "recall",
            RankingKind::Ndcg => "ndcg",
            RankingKind::Map => "map",
            RankingKind::Mrr => "mrr",
            RankingKind::HitRate => "hit_rate",
        }
    }

    /// Precision, recall and hit rate over a whole group say little (all items are "retrieved"),
    /// so they need a k; NDCG, MAP and MRR are defined over the whole list too.
    fn needs_k(self) -> bool {
        matches!(
            self,
            RankingKind::Precision | RankingKind::Recall | RankingKind::HitRate
        )
    }
}

/// A ranking metric by name: `precision_at_10`, `ndcg_at_5`, `map_at_10`, `mrr`, `mrr_at_10`,
/// `hit_rate_at_3`, `ndcg`, `map`. Every one is higher-is-better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RankingMetric {
    pub kind: RankingKind,
    /// The cutoff; `None` reads the whole group.
    pub k: Option<usize>,
}

/// For messages: the forms a ranking metric's name takes.
pub const RANKING_CHOICES: &str =
    "precision_at_K, recall_at_K, ndcg_at_K, map_at_K, hit_rate_at_K, mrr_at_K, ndcg, map, mrr";

impl RankingMetric {
    /// The metric `name` names, if it is a ranking metric (k from 1 to 10,000).
    pub fn parse(name: &str) -> Option<RankingMetric> {
        let (kind_name, k) = match name.split_once("_at_") {
            Some((kind, k)) => {
                let k: usize = k.parse().ok().filter(|k| (1..=10_000).contains(k))?;
                (kind, Some(k))
            }
            None => (name, None),
        };
        let kind = RankingKind::ALL
            .into_iter()
            .find(|kind| kind.name() == kind_name)?;
        if k.is_none() && kind.needs_k() {
            return None;
        }
        Some(RankingMetric { kind, k })
    }

    pub fn name(&self) -> String {
        match self.k {
            Some(k) => format!("{}_at_{k}", self.kind.name()),
            None => self.kind.name().to_string(),
        }
    }

    /// The metrics a ranking report shows next to the one decided on: each kind at `k`.
    pub fn standard_set(k: usize) -> Vec<RankingMetric> {
        RankingKind::ALL
            .into_iter()
            .map(|kind| RankingMetric { kind, k: Some(k) })
            .collect()
    }
}

impl fmt::Display for RankingMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A run of items with equal scores, at ranks `start + 1 ..= start + len`.
#[derive(Debug, Clone, Copy)]
struct TiedRun {
    start: usize,
    len: usize,
    relevant: usize,
    gain: f64,
}

/// One group's items in score order, as runs of ties.
#[derive(Debug)]
pub struct RankedGroup {
    runs: Vec<TiedRun>,
    relevant: usize,
    /// Gains in descending order: the ideal ranking's.
    ideal: Vec<f64>,
}

impl RankedGroup {
    /// `items` are (score, label) pairs with finite scores and labels >= 0.
    pub fn new(items: &mut [(f64, f64)]) -> RankedGroup {
        items.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut runs: Vec<TiedRun> = Vec::new();
        for (position, &(score, label)) in items.iter().enumerate() {
            let relevant = usize::from(label > 0.0);
            match runs.last_mut() {
                Some(run) if items[run.start].0 == score => {
                    run.len += 1;
                    run.relevant += relevant;
                    run.gain += label;
                }
                _ => runs.push(TiedRun {
                    start: position,
                    len: 1,
                    relevant,
                    gain: label,
                }),
            }
        }
        let mut ideal: Vec<f64> = items.iter().map(|&(_, label)| label).collect();
        ideal.sort_by(|a, b| b.total_cmp(a));
        RankedGroup {
            relevant: runs.iter().map(|r| r.relevant).sum(),
            runs,
            ideal,
        }
    }

    pub fn has_relevant(&self) -> bool {
        self.relevant > 0
    }

    /// The metric for this group (a group with a relevant item).
    pub fn value(&self, metric: RankingMetric) -> f64 {
        let k = metric.k.unwrap_or(usize::MAX);
        match metric.kind {
            RankingKind::Precision => self.hits(k) / k as f64,
            RankingKind::Recall => self.hits(k) / self.relevant as f64,
            RankingKind::Ndcg => self.ndcg(k),
            RankingKind::Map => self.average_precision(k),
            RankingKind::Mrr => self.reciprocal_rank(k),
            RankingKind::HitRate => self.hit_rate(k),
        }
    }

    /// Expected relevant items in the top k: a tied run straddling k puts each of its items
    /// there with probability (slots left) / (run length).
    fn hits(&self, k: usize) -> f64 {
        self.runs
            .iter()
            .take_while(|run| run.start < k)
            .map(|run| run.relevant as f64 * run.len.min(k - run.start) as f64 / run.len as f64)
            .sum()
    }

    /// 1 - P(no relevant item in the top k); in a straddling run, P(none of the j slots holds
    /// one of its r relevant items among n) = C(n - r, j) / C(n, j).
    fn hit_rate(&self, k: usize) -> f64 {
        let mut none = 1.0;
        for run in self.runs.iter().take_while(|run| run.start < k) {
            let slots = run.len.min(k - run.start);
            for t in 0..slots {
                none *= (run.len - run.relevant).saturating_sub(t) as f64 / (run.len - t) as f64;
            }
        }
        1.0 - none
    }

    /// E[1 / rank of the first relevant item], 0 past k: in the first run holding r relevant
    /// items among n, the first of them is at its position p with probability
    /// prod_{t<p} (n - r - t) / (n - t) * r / (n - p).
    fn reciprocal_rank(&self, k: usize) -> f64 {
        let Some(run) = self.runs.iter().find(|run| run.relevant > 0) else {
            return 0.0;
        };
        let (n, r) = (run.len as f64, run.relevant as f64);
        let mut before_none = 1.0;
        let mut expected = 0.0;
        for p in 0..run.len {
            let rank = run.start + p + 1;
            if rank > k {
                break;
            }
            let p_f = p as f64;
            expected += before_none * r / (n - p_f) / rank as f64;
            before_none *= (n - r - p_f).max(0.0) / (n - p_f);
        }
        expected
    }

    /// E[sum of precision@rank over relevant ranks <= k] / relevant items. At position p of a
    /// run (n items, r relevant, b relevant before it), an item is relevant with probability
    /// r / n, and given that, (r - 1) p / (n - 1) of the run's others are expected before it.
    fn average_precision(&self, k: usize) -> f64 {
        let mut before = 0usize;
        let mut sum = 0.0;
        for run in &self.runs {
            if run.start >= k {
                break;
            }
            if run.relevant > 0 {
                let (n, r) = (run.len as f64, run.relevant as f64);
                let others = if run.len > 1 {
                    (r - 1.0) / (n - 1.0)
                } else {
                    0.0
                };
                for p in 0..run.len.min(k - run.start) {
                    let rank = (run.start + p + 1) as f64;
                    sum += r / n * (before as f64 + 1.0 + others * p as f64) / rank;
                }
            }
            before += run.relevant;
        }
        sum / self.relevant as f64
    }

    /// DCG with each tied run's mean gain at each of its ranks (scikit-learn's tie-averaged
    /// DCG), over the ideal DCG of the group's labels.
    fn ndcg(&self, k: usize) -> f64 {
        let discount = |position: usize| 1.0 / ((position + 2) as f64).log2();
        let mut dcg = 0.0;
        for run in self.runs.iter().take_while(|run| run.start < k) {
            let discounts: f64 = (run.start..run.start + run.len.min(k - run.start))
                .map(discount)
                .sum();
            dcg += run.gain / run.len as f64 * discounts;
        }
        let ideal: f64 = self
            .ideal
            .iter()
            .take(k)
            .enumerate()
            .map(|(position, gain)| gain * discount(position))
            .sum();
        if ideal > 0.0 {
            dcg / ideal
        } else {
            0.0
        }
    }
}

/// Groups ready to score: rows bucketed by group id, each group ranked once.
pub struct RankedGroups {
    /// The groups with a relevant item, in group-id order.
    pub evaluated: Vec<RankedGroup>,
    pub groups: usize,
    pub groups_without_relevant: usize,
}

impl RankedGroups {
    /// `groups[i]` is row i's group id (dense, 0-based), `labels[i]` its relevance (>= 0) and
    /// `scores[i]` its score (finite).
    pub fn new(groups: &[u32], labels: &[f64], scores: &[f64]) -> RankedGroups {
        let count = groups.iter().map(|&g| g as usize + 1).max().unwrap_or(0);
        let mut members: Vec<Vec<(f64, f64)>> = vec![Vec::new(); count];
        for ((&group, &label), &score) in groups.iter().zip(labels).zip(scores) {
            members[group as usize].push((score, label));
        }
        let mut evaluated = Vec::new();
        let mut present = 0;
        for mut items in members.into_iter().filter(|items| !items.is_empty()) {
            present += 1;
            let group = RankedGroup::new(&mut items);
            if group.has_relevant() {
                evaluated.push(group);
            }
        }
        RankedGroups {
            groups_without_relevant: present - evaluated.len(),
            groups: present,
            evaluated,
        }
    }

    /// The metric of each evaluated group (what a bootstrap over groups resamples).
    pub fn per_group(&self, metric: RankingMetric) -> Vec<f64> {
        self.evaluated.iter().map(|g| g.value(metric)).collect()
    }

    /// The mean over evaluated groups; `None` when no group has a relevant item.
    pub fn mean(&self, metric: RankingMetric) -> Option<f64> {
        if self.evaluated.is_empty() {
            return None;
        }
        let values = self.per_group(metric);
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::HashMap;

    fn golden() -> Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/ranking/golden.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn equals_ranx_trec_eval_and_sklearn_on_every_golden_case() {
        let golden = golden();
        for case in golden["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let mut ids: HashMap<&str, u32> = HashMap::new();
            let groups: Vec<u32> = case["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| {
                    let next = ids.len() as u32;
                    *ids.entry(g.as_str().unwrap()).or_insert(next)
                })
                .collect();
            let floats = |key: &str| -> Vec<f64> {
                case[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect()
            };
            let ranked = RankedGroups::new(&groups, &floats("relevance"), &floats("scores"));
            assert_eq!(
                ranked.groups_without_relevant as u64,
                case["groups_without_relevant"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(
                ranked.evaluated.len() as u64,
                case["groups_evaluated"].as_u64().unwrap()
            );
            for (metric_name, want) in case["metrics"].as_object().unwrap() {
                let metric = RankingMetric::parse(metric_name).unwrap();
                assert_eq!(metric.name(), *metric_name);
                let got = ranked.mean(metric).unwrap();
                let want = want.as_f64().unwrap();
                assert!(
                    (got - want).abs() <= 1e-12,
                    "{name} {metric_name}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn names_parse_back_and_unknown_forms_are_refused() {
        for name in [
            "precision_at_10",
            "ndcg_at_5",
            "mrr",
            "mrr_at_3",
            "map",
            "hit_rate_at_1",
        ] {
            assert_eq!(RankingMetric::parse(name).unwrap().name(), name);
        }
        for name in [
            "precision",
            "recall",
            "hit_rate",
            "ndcg_at_0",
            "ndcg_at_x",
            "pr_auc",
            "top_at_3",
        ] {
            assert!(RankingMetric::parse(name).is_none(), "{name}");
        }
    }

    #[test]
    fn row_order_does_not_change_a_tied_result() {
        let mut a = vec![(0.5, 1.0), (0.5, 0.0), (0.5, 0.0), (0.9, 0.0)];
        let mut b = vec![(0.5, 0.0), (0.9, 0.0), (0.5, 0.0), (0.5, 1.0)];
        let (a, b) = (RankedGroup::new(&mut a), RankedGroup::new(&mut b));
        for kind in RankingKind::ALL {
            let metric = RankingMetric { kind, k: Some(2) };
            assert_eq!(a.value(metric), b.value(metric), "{metric}");
        }
        // One relevant among three tied items for the second slot: hit with probability 1/3.
        let hit = a.value(RankingMetric {
            kind: RankingKind::HitRate,
            k: Some(2),
        });
        assert!((hit - 1.0 / 3.0).abs() < 1e-15);
    }
}
