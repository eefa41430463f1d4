//! Which allocators a live run uses: the shim's compiled-in three, the
//! library rows, and the built-ins that cannot serve a running program,
//! each with the reason (written to meta.json, as a run's not-applicable
//! rows are).

use super::launch::Target;
use crate::names::Name;
use crate::shared_lib::LibArg;

/// The rows that run: each name with where its calls go.
pub type Rows = Vec<(Name, Target)>;
/// The rows that cannot, each with the reason.
pub type Refused = Vec<(Name, String)>;

/// Sizes PMAD's pool and TLSF's region by one recorded pass of `command`
/// (in `scratch`), when either is among `rows`; one that cannot serve the
/// program moves to `refused` with the reason.
pub fn size_pools(
    rows: &mut Rows,
    refused: &mut Refused,
    command: &[String],
    scratch: &std::path::Path,
) {
    let fixed = |t: &Target| matches!(t, Target::Pmad(_) | Target::Tlsf(_));
    if !rows.iter().any(|(_, t)| fixed(t)) {
        return;
    }
    eprintln!(
        "harness: live: sizing the fixed pools: {} recorded once",
        command.join(" ")
    );
    let pass = super::sizing::record_pass(command, scratch);
    let mut kept = Vec::new();
    for (name, target) in std::mem::take(rows) {
        let sized = match (&target, &pass) {
            (t, _) if !fixed(t) => Ok(target),
            (_, Err(why)) => Err(why.clone()),
            (Target::Pmad(_), Ok((t, p))) => super::sizing::pmad(t, p).map(Target::Pmad),
            (_, Ok((t, p))) => super::sizing::tlsf(t, p).map(Target::Tlsf),
        };
        match sized {
            Ok(t) => kept.push((name, t)),
            Err(why) => {
                eprintln!("harness: live: {}: not applicable: {why}", name.as_str());
                refused.push((name, why));
            }
        }
    }
    *rows = kept;
}

/// Why a built-in cannot serve a live program (None: it can).
pub fn cannot_serve(name: Name) -> Option<&'static str> {
    match name {
        Name::Tcmalloc | Name::Snmalloc => Some(
            "not compiled into the live shim (its Rust crate links it as the process's malloc, or only with the block's size on free); give its shared library as a library row (--allocator-lib NAME=PATH)",
        ),
        _ => None,
    }
}

/// The rows of `--allocator LIST` with the library rows: (name, where
/// its calls go) for those that run, (name, why) for those that cannot.
pub fn chosen(list: &str, libs: &[LibArg]) -> Result<(Rows, Refused), String> {
    let mut run: Vec<(Name, Target)> = Vec::new();
    let mut not: Refused = Vec::new();
    let mut add = |n: Name, run: &mut Vec<(Name, Target)>| {
        if let Some(why) = cannot_serve(n) {
            if !not.iter().any(|(m, _)| *m == n) {
                not.push((n, why.to_string()));
            }
        } else if !run.iter().any(|(m, _)| *m == n) {
            let target = match libs.iter().find(|l| l.row() == n) {
                Some(l) => Target::Library(l.clone()),
                // Sized by the sizing pass before the runs (commands::live).
                None if n == Name::Pmad => Target::Pmad(super::sizing::Pool::not_sized()),
                None if n == Name::Tlsf => Target::Tlsf(super::sizing::Region {
                    bytes: 0,
                    peak_bytes: 0,
                    peak_blocks: 0,
                }),
                None => Target::InShim(n.as_str()),
            };
            run.push((n, target));
        }
    };
    for item in list.split(',').map(str::trim) {
        if item == "all" {
            for n in Name::KNOWN.into_iter().filter(|&n| n != Name::Null) {
                add(n, &mut run);
            }
            continue;
        }
        if let Some(l) = libs.iter().find(|l| l.name.as_str() == item) {
            add(l.row(), &mut run);
            continue;
        }
        match Name::parse(item) {
            Some(Name::Null) | None => {
                return Err(format!(
                    "--allocator {list}: `{item}` is not an allocator live can run (system, jemalloc, mimalloc, a library row's name, or all)"
                ))
            }
            Some(n) => add(n, &mut run),
        }
    }
    for l in libs {
        add(l.row(), &mut run);
    }
    if run.is_empty() {
        return Err(format!(
            "--allocator {list}: none of these can serve a running program"
        ));
    }
    Ok((run, not))
}
