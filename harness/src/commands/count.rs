//! `harness count`: instructions per call under valgrind's callgrind. The
//! command relaunches itself under valgrind; the copy inside counts.

use crate::cli::CountArgs;
use crate::count::{launch, plan, valgrind};
use crate::failure::Failure;
use crate::names::Name;
use crate::paths;
use crate::results::counts;
use std::path::Path;
use std::time::SystemTime;

/// Checks the arguments, then counts inside valgrind or starts it.
pub fn main(args: &CountArgs) -> Result<(), Failure> {
    if !valgrind::SUPPORTED {
        return Err(Failure::usage(
            "count: valgrind's client requests are built for x86_64 and aarch64 only".into(),
        ));
    }
    // Bad arguments fail before valgrind is looked for or started.
    plan::plan(args).map_err(Failure::usage)?;
    let dumps = std::env::var_os(launch::ENV_DUMPS);
    if valgrind::running() {
        // The libraries were probed before valgrind started.
        crate::plan::allocators(&args.allocator, &Name::compiled(), &args.allocator_lib)
            .map_err(Failure::usage)?;
    } else {
        crate::plan::chosen(&args.allocator, &args.allocator_lib).map_err(Failure::usage)?;
    }
    match (valgrind::running(), dumps) {
        (true, Some(dir)) => crate::count::inside(args, Path::new(&dir)),
        (true, None) => Err(Failure::usage(
            "count starts valgrind itself: run `harness count` without valgrind".into(),
        )),
        (false, _) => {
            let out = args
                .out
                .clone()
                .unwrap_or_else(|| paths::fresh_run_dir(SystemTime::now(), std::process::id()));
            // The compiled-in rows, then each library row under valgrind
            // with the library preloaded.
            launch::relaunch(&out, args.out.is_some(), None)?;
            for lib in &args.allocator_lib {
                launch::relaunch(&out, args.out.is_some(), Some(lib))?;
            }
            // Nothing is written when nothing could be counted (snmalloc alone).
            let path = counts::path(&out);
            if path.exists() {
                println!("counts: {}", path.display());
            }
            Ok(())
        }
    }
}
