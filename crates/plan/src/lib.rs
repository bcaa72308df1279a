//! spelunk-plan: from query text to a logical plan.
//!
//! text --[`macros::expand`]--> expanded text --[spelunk_syntax::parse_pipeline]--> AST
//! --[`lower::lower`]--> [`LogicalPlan`] --[`projection`], [`pushdown`]--> plan with scan
//! requirements. [`props`] holds the per-sourcetype search-time fields the scan applies.

pub mod fields;
pub mod lint;
pub mod lower;
pub mod macros;
pub mod plan;
pub mod projection;
pub mod props;
pub mod pushdown;

pub use macros::{ConfError, Expanded, MacroSet};
pub use plan::*;
pub use props::Props;

use spelunk_syntax::ast::Pipeline;
use spelunk_syntax::SplError;
use std::collections::BTreeSet;

/// Everything the planner knows: macros and search-time field definitions.
#[derive(Debug, Clone)]
pub struct Planner {
    pub macros: MacroSet,
    pub props: Props,
}

/// A planned query with every intermediate form, for `explain`.
#[derive(Debug, Clone)]
pub struct Planned {
    pub expanded: Expanded,
    pub ast: Pipeline,
    pub plan: LogicalPlan,
    /// Groups of terms: every matching record's raw text contains one term of each group
    /// (checked before parsing).
    pub prefilter: Vec<Vec<String>>,
}

/// A planning error: the diagnostic plus the text its span points into.
#[derive(Debug, Clone)]
pub struct PlanError {
    pub error: SplError,
    /// The query text the span refers to (the user's text: spans are mapped back).
    pub text: String,
}

impl Planner {
    /// Built-in macros and props (from `queries/`).
    pub fn builtin() -> Result<Planner, ConfError> {
        Ok(Planner { macros: MacroSet::builtin()?, props: Props::builtin()? })
    }

    pub fn plan(&self, query: &str) -> Result<Planned, PlanError> {
        let expanded = macros::expand(query, &self.macros).map_err(|error| PlanError { error, text: query.to_string() })?;
        let remap = |error: SplError| PlanError { error: expanded.locate(error), text: query.to_string() };
        let ast = spelunk_syntax::parse_pipeline(&expanded.text).map_err(remap)?;
        let mut plan = lower::lower(&ast).map_err(remap)?;
        plan.projection = projection::compute(&plan);
        let prefilter = pushdown::raw_prefilter(&plan, &self.props);
        if !prefilter.is_empty() {
            plan.rewrites.push(format!(
                "predicate pushdown: records whose raw text lacks {} are skipped before parsing",
                prefilter.iter().map(|g| g.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>().join(" or ")).map(|g| if g.contains(" or ") { format!("({g})") } else { g }).collect::<Vec<_>>().join(" and ")
            ));
        }
        if let Projection::Fields(f) = &plan.projection {
            plan.rewrites.push(format!("projection: the scan extracts only {} field(s) the query names (plus their search-time dependencies)", f.len()));
        }
        Ok(Planned { expanded, ast, plan, prefilter })
    }

    /// The extracted fields a scan of `sourcetype` must produce for `projection`.
    pub fn scan_fields(&self, projection: &Projection, sourcetype: &str) -> Projection {
        match projection {
            Projection::All => Projection::All,
            Projection::Fields(f) => match self.props.get(sourcetype) {
                Some(p) => Projection::Fields(p.extracted_dependencies(f)),
                None => Projection::Fields(f.clone()),
            },
        }
    }

    /// Extracted fields needed for any sourcetype (union over all props stanzas).
    pub fn scan_fields_any(&self, projection: &Projection) -> Projection {
        match projection {
            Projection::All => Projection::All,
            Projection::Fields(f) => {
                let mut all: BTreeSet<String> = f.clone();
                for p in self.props.sourcetypes.values() {
                    all.extend(p.extracted_dependencies(f));
                }
                Projection::Fields(all)
            }
        }
    }
}
