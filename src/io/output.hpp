// Writing outputs safely: one writer per output (advisory locks), the file system's reason when a
// write fails, and failing together on every rank of a collective write.
#pragma once

#include <mpi.h>

#include <functional>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace popsim::io {

// The command line that holds a lock ("popsim run ..."), written into the lock file so that a
// refused second writer can name the holder. Set once by main.
void setCommandLine(int argc, const char* const* argv);

// An advisory lock on an output: a directory's is DIR/.popsim.lock, a file's is .NAME.lock beside
// it (the analysis tools take the same locks). The lock is an open-file-description record lock
// (fcntl F_OFD_SETLK): it conflicts with POSIX record locks (Python's fcntl.lockf), is released
// when the process ends however it ends, and works on local file systems, on NFS (through the
// lock manager) and on Lustre mounted with -o flock. The lock file holds one line naming the
// holder (pid, host, start time, command) and is never deleted.
class OutputLock {
 public:
  OutputLock() = default;
  // Takes the lock of `output` (a directory if `directory`, which must exist; else a file, whose
  // directory must exist). Throws core::InputError naming `option`, the output and the holder
  // when another process holds it, or naming the reason when the lock file cannot be made.
  static OutputLock acquire(const std::string& output, bool directory, const std::string& option);
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  OutputLock(OutputLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  OutputLock& operator=(OutputLock&& o) noexcept;
  ~OutputLock();
  bool held() const { return fd_ >= 0; }

 private:
  explicit OutputLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The lock file of an output (see OutputLock).
std::string lockPath(const std::string& output, bool directory);

// Why writing `path` failed, as the file system says it, found after the fact (the HDF5 and MPI-IO
// layers report a failed write but not its errno): the file size limit (ulimit -f: EFBIG), a
// read-only file system (EROFS), no free space (ENOSPC), or the error of a probe write of 1 MiB in
// the file's directory (EDQUOT, ENOSPC, EIO, ...). Empty if none of these shows.
std::string writeFailureReason(const std::string& path);

// "writing PATH: REASON" for a failure `detail` (an HDF5 message) of writing `path`.
std::string writeFailureMessage(const std::string& path, const std::string& detail);

// How long a rank whose part of a collective write failed waits for the other ranks to agree
// before it aborts the job (they may be blocked in a collective write that failed on it alone).
inline constexpr double kWriteFailurePatienceSeconds = 10.0;

// Agrees on a write failure: `failure` is this rank's message (empty: success). If any rank
// failed, every rank throws core::CollectiveOutputError with the lowest failing rank's message.
// A failing rank that the others do not join within kWriteFailurePatienceSeconds reports its
// failure and aborts the job with exit code 1. Collective (non-blocking operations only, so a
// failing rank can give up).
// `on_failure` runs on every rank before the throw, and on a rank before it gives up.
void agreeOnWrite(MPI_Comm comm, const std::optional<std::string>& failure,
                  const std::function<void()>& on_failure = {});

// Whether `ok` holds on every rank of `comm`, after a collective write call: a rank where it
// failed waits at most kWriteFailurePatienceSeconds for the others (HDF5 may have left them in
// a collective call that this rank skipped), then reports "popsim: error: (rank R) MESSAGE" with
// `message()` and aborts the job with exit code 1. Collective.
bool allRanksSucceeded(MPI_Comm comm, bool ok, const std::function<std::string()>& message);

// Runs `step`, one part of writing `path` collectively on every rank of `comm`, and agrees on its
// outcome: a failure (an exception other than core::InputError) on any rank becomes
// core::CollectiveOutputError "writing PATH: REASON" on every rank, after `on_failure` has run on
// every rank (e.g. removing a partial file; it must be safe to run on several ranks at once).
template <typename Step, typename OnFailure>
void collectiveWrite(MPI_Comm comm, const std::string& path, Step&& step, OnFailure&& on_failure) {
  std::optional<std::string> failure;
  try {
    step();
  } catch (const core::InputError&) {
    throw;
  } catch (const core::CollectiveOutputError&) {
    throw;
  } catch (const std::exception& e) {
    failure = writeFailureMessage(path, e.what());
  }
  agreeOnWrite(comm, failure, on_failure);
}

template <typename Step>
void collectiveWrite(MPI_Comm comm, const std::string& path, Step&& step) {
  collectiveWrite(comm, path, std::forward<Step>(step), [] {});
}

// Whether a write failure was agreed on (core::CollectiveOutputError thrown) in this process: the
// files whose writing failed cannot be closed, so the process must end without HDF5's and MPI's
// clean-up (app/main.cpp).
bool writeFailed();

}  // namespace popsim::io
