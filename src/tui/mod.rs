//! The terminal UI (in progress): until it lands, the interactive entry point prints the list.

use crate::cli::CliError;
use crate::paths::DbLocation;

/// Run the terminal UI on the database at `location`.
pub fn run(location: &DbLocation) -> Result<(), CliError> {
    crate::cli::accounts::list(location, false).map(drop)
}
