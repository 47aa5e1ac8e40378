//! `vendor-sandbox check`: every problem of the scenario files named (or of the folder the
//! server would load), each at its line and column.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::Vocabulary;
use super::catalog::{SHIPPED, read_folder};
use super::parse::{Problem, every_problem, parse_scenario};

/// `vendor-sandbox check`: validates files and folders (no paths: `./scenarios` if it exists,
/// else the shipped set). Returns how many scenarios are valid and every problem.
pub fn check_paths(vocabulary: &'static Vocabulary, paths: &[PathBuf]) -> (usize, Vec<Problem>) {
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut problems = Vec::new();
    let default_dir = PathBuf::from("scenarios");
    let paths: Vec<PathBuf> = if !paths.is_empty() {
        paths.to_vec()
    } else if default_dir.is_dir() {
        vec![default_dir]
    } else {
        texts = SHIPPED
            .iter()
            .map(|(f, t)| (format!("(shipped) {f}"), t.to_string()))
            .collect();
        Vec::new()
    };
    for path in paths {
        if path.is_dir() {
            let (found, mut errors) = read_folder(&path);
            problems.append(&mut errors);
            texts.extend(found.into_iter().map(|(p, t)| (p.display().to_string(), t)));
        } else {
            match std::fs::read_to_string(&path) {
                Ok(t) => texts.push((path.display().to_string(), t)),
                Err(e) => problems.push(Problem::unreadable(&path, &e)),
            }
        }
    }
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut valid = 0;
    for (file, text) in &texts {
        match parse_scenario(file, text, 0, vocabulary) {
            Ok(s) => match names.get(&s.name) {
                Some(first) => problems.push(Problem::at_text(
                    file,
                    text,
                    "\"name\"",
                    format!("scenario name {:?} is already used by {first}", s.name),
                )),
                None => {
                    names.insert(s.name, file.clone());
                    valid += 1;
                }
            },
            Err(p) => problems.extend(every_problem(file, text, p, vocabulary)),
        }
    }
    (valid, problems)
}
