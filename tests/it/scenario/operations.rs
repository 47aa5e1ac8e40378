//! `docs/scenarios.md`'s Operations tables name exactly the operations the vocabulary knows,
//! each under its vendor, so the reference cannot drift from what `check` accepts.

use std::collections::BTreeSet;

use vendor_sandbox::vendors::{Vendor, vocabulary};

use super::repo;

/// The operation names a vendor's rows of the Operations section name (`any`: every vendor's).
fn documented(section: &str, vendor: &str) -> BTreeSet<String> {
    section
        .lines()
        .filter_map(|line| {
            let mut cells = line.split('|').map(str::trim).skip(1);
            (cells.next() == Some(vendor)).then(|| cells.next().unwrap_or_default().to_string())
        })
        .flat_map(|cell| {
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_operations_tables_name_every_operation_of_each_vendor() {
    let docs = std::fs::read_to_string(repo("docs/scenarios.md")).expect("docs/scenarios.md");
    let section = docs
        .split("\n## Operations\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("docs/scenarios.md has an Operations section");
    let any = documented(section, "any");
    for vendor in [Vendor::Persona, Vendor::Coinflow, Vendor::Bitmama] {
        let known: BTreeSet<String> = vocabulary()
            .operations(vendor)
            .iter()
            .map(|o| o.as_str().to_string())
            .filter(|name| name != "any")
            .collect();
        let mut listed = documented(section, vendor.as_str());
        listed.extend(any.iter().cloned());
        assert_eq!(
            listed, known,
            "docs/scenarios.md's Operations for {vendor} (left) against what check accepts (right)"
        );
    }
}
