//! Digit patterns that validate what a caller typed into a `collect` node. Pure.

/// A digit pattern for `collect`: `X` any digit, `Z` 1-9, `N` 2-9, `[1-5]` a set, a literal key
/// itself, and a final `.` for "one or more of anything".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitPattern(pub String);

impl DigitPattern {
    /// Whether typed digits match the pattern.
    #[must_use]
    pub fn matches(&self, digits: &str) -> bool {
        let mut d = digits.chars().peekable();
        let mut p = self.0.chars().peekable();
        while let Some(pc) = p.next() {
            if pc == '.' && p.peek().is_none() {
                return d.next().is_some();
            }
            let Some(dc) = d.next() else { return false };
            let ok = match pc {
                'X' => dc.is_ascii_digit(),
                'Z' => matches!(dc, '1'..='9'),
                'N' => matches!(dc, '2'..='9'),
                '[' => {
                    let set: Vec<char> = p.by_ref().take_while(|c| *c != ']').collect();
                    set_contains(&set, dc)
                }
                lit => lit == dc,
            };
            if !ok {
                return false;
            }
        }
        d.next().is_none()
    }

    /// Whether the pattern is well formed (only known classes, closed sets).
    #[must_use]
    pub fn is_well_formed(&self) -> bool {
        let mut open = false;
        for (i, c) in self.0.chars().enumerate() {
            match c {
                '[' if !open => open = true,
                ']' if open => open = false,
                '.' => return !open && i + 1 == self.0.chars().count(),
                '0'..='9' | '*' | '#' | '-' if open => {}
                '0'..='9' | '*' | '#' | 'X' | 'Z' | 'N' if !open => {}
                _ => return false,
            }
        }
        !open && !self.0.is_empty()
    }
}

fn set_contains(set: &[char], c: char) -> bool {
    let mut i = 0;
    while i < set.len() {
        if i + 2 < set.len() && set[i + 1] == '-' {
            if (set[i]..=set[i + 2]).contains(&c) {
                return true;
            }
            i += 3;
        } else {
            if set[i] == c {
                return true;
            }
            i += 1;
        }
    }
    false
}
