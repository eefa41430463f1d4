//! One module per subcommand, each with one entry function, `main`, that
//! takes the parsed arguments and returns `Ok` or the [`Failure`] to exit
//! with. A measuring run (no subcommand) is [`run`].

pub mod ab;
pub mod compare;
pub mod count;
pub mod list;
pub mod live;
pub mod plot;
pub mod record;
pub mod replay;
pub mod report;
pub mod rounds;
pub mod run;
pub mod spread;
pub mod trace;
pub mod verify;

use crate::cli::{Cli, Command};
use crate::failure::Failure;

/// Runs the command the line asks for.
pub fn dispatch(cli: Cli) -> Result<(), Failure> {
    match &cli.command {
        Some(Command::List) => {
            list::main();
            Ok(())
        }
        Some(Command::Count(a)) => count::main(a),
        Some(Command::Record(a)) => record::main(a),
        Some(Command::Live(a)) => live::main(a),
        Some(Command::Trace(a)) => trace::main(a),
        Some(Command::Replay(a)) => replay::main(a),
        Some(Command::Compare(a)) => compare::main(a),
        Some(Command::Ab(a)) => ab::main(a),
        Some(Command::Spread(a)) => spread::main(a),
        Some(Command::Rounds(a)) => rounds::main(a),
        Some(Command::Verify(a)) => verify::main(&a.results),
        Some(Command::Plot(a)) => plot::main(a),
        Some(Command::Report(a)) => report::main(a),
        None => run::main(cli.run),
    }
}
