// Requests to stop a run cleanly: SIGTERM and SIGUSR1, what a batch system sends before a job's
// time limit (SLURM: --signal=USR1@SECONDS, or scancel). The run finishes the current year,
// writes a checkpoint and exits with kExitStopped.
#pragma once

namespace popsim::app {

// Installs the handlers (idempotent). They only record that a signal arrived.
void installStopHandlers();

// True once this process has received SIGTERM or SIGUSR1.
bool stopRequested();

}  // namespace popsim::app
