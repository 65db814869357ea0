//! Which rows the comparison uses: all, those at or after --since, and/or the --last N by
//! time (ties broken by file order, later rows counting as more recent).

/// Row indices in ascending order.
pub fn select_recent(times_ms: &[i64], last: Option<usize>, since_ms: Option<i64>) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..times_ms.len())
        .filter(|&i| since_ms.is_none_or(|s| times_ms[i] >= s))
        .collect();
    if let Some(n) = last {
        if rows.len() > n {
            // Stable: equal times keep file order, so the latest rows of a tie are kept.
            rows.sort_by_key(|&i| times_ms[i]);
            rows.drain(..rows.len() - n);
            rows.sort_unstable();
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_and_since() {
        let times = [5, 1, 9, 3, 9, 7];
        assert_eq!(select_recent(&times, Some(2), None), vec![2, 4]);
        assert_eq!(select_recent(&times, Some(3), None), vec![2, 4, 5]);
        assert_eq!(select_recent(&times, None, Some(7)), vec![2, 4, 5]);
        assert_eq!(select_recent(&times, Some(1), Some(7)), vec![4]);
        assert_eq!(select_recent(&times, None, None).len(), 6);
    }
}
