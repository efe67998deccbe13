//! The window of a virtualised list: rows have a fixed height, the scroll offset picks the
//! rows in view, and only those (plus an overscan above and below, so fast scrolling shows
//! no gap) exist in the DOM. One function for every such list (a partition's records, the
//! saga list), so they scroll alike.

use std::ops::Range;

/// A virtualised list's geometry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RowWindow {
    /// Height of one row in CSS pixels (the stylesheet must agree).
    pub row_px: f64,
    /// Rows in view at once: the viewport is this many rows high.
    pub rows_in_view: u64,
    /// Rows drawn above and below those in view.
    pub overscan_rows: u64,
}

impl RowWindow {
    /// The rows to draw and the rows in view at `scroll_top_px` over `total` rows, as index
    /// ranges. An offset past the end (the list shrank, or a huge value) shows the last
    /// rows; a negative or non-finite offset shows the first.
    pub fn at(&self, scroll_top_px: f64, total: u64) -> (Range<u64>, Range<u64>) {
        let rows = if scroll_top_px.is_finite() {
            (scroll_top_px.max(0.0) / self.row_px).floor()
        } else {
            0.0
        };
        // A float beyond u64 saturates in the cast.
        let first = (rows as u64).min(total.saturating_sub(self.rows_in_view));
        let in_view = first..first.saturating_add(self.rows_in_view).min(total);
        let drawn = first.saturating_sub(self.overscan_rows)
            ..in_view.end.saturating_add(self.overscan_rows).min(total);
        (drawn, in_view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: RowWindow = RowWindow {
        row_px: 10.0,
        rows_in_view: 4,
        overscan_rows: 2,
    };

    #[test]
    fn the_window_is_bounded_inside_the_list_and_follows_the_scroll() {
        assert_eq!(LIST.at(0.0, 0), (0..0, 0..0));
        assert_eq!(LIST.at(0.0, 100), (0..6, 0..4));
        assert_eq!(
            LIST.at(5.0, 100).1,
            0..4,
            "half a row down keeps row 0 on top"
        );
        assert_eq!(LIST.at(500.0, 100), (48..56, 50..54));
        assert_eq!(
            LIST.at(1e300, 100),
            (94..100, 96..100),
            "past the end: the last rows"
        );
        assert_eq!(LIST.at(f64::INFINITY, 10).1, 0..4);
        assert_eq!(LIST.at(f64::NAN, 10).1, 0..4);
        assert_eq!(LIST.at(-50.0, 3), (0..3, 0..3));
        for total in [1, 3, 4, 7, 52, 1000, u64::MAX] {
            for scroll in [0.0, 9.0, 10.0, 7_000.0, 1e30] {
                let (drawn, in_view) = LIST.at(scroll, total);
                assert!(drawn.start <= in_view.start && in_view.end <= drawn.end);
                assert!(drawn.end <= total && drawn.end - drawn.start <= 8);
                assert_eq!(in_view.end - in_view.start, total.min(4));
            }
        }
    }
}
