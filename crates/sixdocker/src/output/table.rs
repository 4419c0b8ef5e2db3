//! Column tables as Docker prints them (Go's tabwriter with minimum width 10 and padding 3):
//! every column but the last is padded to the widest cell plus three spaces, at least ten.
//!
//! It only lays out strings; what goes in the cells is decided by the callers.

use std::io::{self, Write};

const MIN_WIDTH: usize = 10;
const PADDING: usize = 3;

/// A table with a header row; rows are added in order and written at once.
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            rows: vec![header.iter().map(|h| (*h).to_owned()).collect()],
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                let widest = self
                    .rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|cell| cell.chars().count())
                    .max()
                    .unwrap_or(0);
                (widest + PADDING).max(MIN_WIDTH)
            })
            .collect();
        for row in &self.rows {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if c + 1 < row.len() {
                    let pad = widths[c] - cell.chars().count();
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_padded_like_dockers() {
        let mut t = Table::new(&["CONTAINER ID", "IMAGE", "NAMES"]);
        t.row(vec!["0123456789ab".into(), "busybox".into(), "web".into()]);
        let mut out = Vec::new();
        t.write(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "CONTAINER ID   IMAGE     NAMES\n0123456789ab   busybox   web\n"
        );
    }

    #[test]
    fn an_empty_table_is_its_header() {
        let mut out = Vec::new();
        Table::new(&["A", "B"]).write(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "A         B\n");
    }
}
