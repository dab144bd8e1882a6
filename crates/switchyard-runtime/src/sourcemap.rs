//! Mapping positions in transpiled code back to the TypeScript the user wrote.
//!
//! Only stack traces read it, so it favours a small, owned form over oxc's borrowed one: for each
//! generated line, the sorted columns where a mapping starts and the original position there.

/// Generated position → original position, for one module.
#[derive(Debug, Default, Clone)]
pub struct LineMap {
    /// Indexed by 0-based generated line: (generated column, original line, original column), all
    /// 0-based, sorted by generated column.
    lines: Vec<Vec<(u32, u32, u32)>>,
}

impl LineMap {
    pub fn from_oxc(map: &oxc_sourcemap::SourceMap<'_>) -> Self {
        let mut lines: Vec<Vec<(u32, u32, u32)>> = Vec::new();
        for token in map.get_tokens() {
            let line = token.get_dst_line() as usize;
            if lines.len() <= line {
                lines.resize_with(line + 1, Vec::new);
            }
            lines[line].push((
                token.get_dst_col(),
                token.get_src_line(),
                token.get_src_col(),
            ));
        }
        for line in &mut lines {
            line.sort_unstable_by_key(|t| t.0);
        }
        LineMap { lines }
    }

    /// The original (line, column) for a generated (line, column), all 1-based. Picks the last
    /// mapping that starts at or before the column, or the line's first one.
    pub fn original(&self, line: u32, column: u32) -> Option<(u32, u32)> {
        let tokens = self.lines.get(line.checked_sub(1)? as usize)?;
        let column = column.saturating_sub(1);
        let index = tokens.partition_point(|t| t.0 <= column);
        let token = tokens.get(index.saturating_sub(1))?;
        Some((token.1 + 1, token.2 + 1))
    }
}
