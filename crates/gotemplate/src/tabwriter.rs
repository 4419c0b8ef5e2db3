//! Go's `text/tabwriter` (flags 0, padding with a character), which lays out Docker's
//! tables: cells end at a tab; the text after a line's last tab is not part of any column.
//! A column's width is its widest cell plus the padding (at least the minimum width),
//! computed over each run of consecutive lines that have a cell in that column.

/// Docker's table settings: `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`.
pub const DOCKER: Settings = Settings {
    min_width: 10,
    padding: 3,
    pad_char: ' ',
};

/// Go's `tabwriter.NewWriter` parameters.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// The smallest width of a cell, padding included.
    pub min_width: usize,
    /// Padding added to the widest cell of a column.
    pub padding: usize,
    /// The character cells are padded with.
    pub pad_char: char,
}

/// Lays out `text` (lines of tab-terminated cells) as Go's tabwriter does.
pub fn align(text: &str, settings: Settings) -> String {
    // Lines of cells; the last cell of each line is the text after its last tab.
    let mut lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
    // A trailing newline ends the last line rather than starting an empty one.
    let ends_with_newline = text.ends_with('\n');
    if ends_with_newline {
        lines.pop();
    }
    let mut out = String::with_capacity(text.len() * 2);
    let mut writer = Layout {
        lines: &lines,
        widths: Vec::new(),
        settings,
        out: &mut out,
    };
    writer.format(0, lines.len());
    if !ends_with_newline && out.ends_with('\n') {
        out.pop();
    }
    out
}

struct Layout<'a> {
    lines: &'a [Vec<&'a str>],
    widths: Vec<usize>,
    settings: Settings,
    out: &'a mut String,
}

fn width(cell: &str) -> usize {
    cell.chars().count()
}

impl Layout<'_> {
    /// Go's `Writer.format`: finds the blocks of lines that share the next column, computes
    /// its width, and recurses for the columns to its right.
    fn format(&mut self, mut line0: usize, line1: usize) {
        let column = self.widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= self.lines[this].len() {
                this += 1;
                continue;
            }
            // A cell exists in this column: print the lines before the block.
            self.write_lines(line0, this);
            line0 = this;
            let mut width_here = self.settings.min_width;
            while this < line1 {
                let line = &self.lines[this];
                if column + 1 >= line.len() {
                    break;
                }
                width_here = width_here.max(width(line[column]) + self.settings.padding);
                this += 1;
            }
            self.widths.push(width_here);
            self.format(line0, this);
            self.widths.pop();
            line0 = this;
        }
        self.write_lines(line0, line1);
    }

    fn write_lines(&mut self, line0: usize, line1: usize) {
        for line in &self.lines[line0..line1] {
            for (j, cell) in line.iter().enumerate() {
                self.out.push_str(cell);
                if j < self.widths.len() && j + 1 < line.len() {
                    let pad = self.widths[j].saturating_sub(width(cell));
                    self.out
                        .extend(std::iter::repeat_n(self.settings.pad_char, pad));
                }
            }
            self.out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_like_gos_tabwriter() {
        let text = "CONTAINER ID\tIMAGE\tNAMES\n0123456789ab\tbusybox\tweb\n";
        assert_eq!(
            align(text, DOCKER),
            "CONTAINER ID   IMAGE     NAMES\n0123456789ab   busybox   web\n"
        );
    }

    #[test]
    fn a_line_without_tabs_ends_the_block() {
        let text = "a\tb\nlonger text line\nxxxxxxxxxxxxxxx\ty\n";
        assert_eq!(
            align(text, DOCKER),
            "a         b\nlonger text line\nxxxxxxxxxxxxxxx   y\n"
        );
    }

    #[test]
    fn short_lines_take_part_only_in_their_columns() {
        let text = "a\tbb\tc\nd\te\n";
        // Column 1 exists only on the first line (the second's "e" is trailing text).
        assert_eq!(align(text, DOCKER), "a         bb        c\nd         e\n");
    }

    #[test]
    fn empty_cells_are_padded() {
        assert_eq!(align("\t\tx\n", DOCKER), "                    x\n");
    }
}
