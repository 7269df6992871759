#include "io/output.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <thread>
#include <vector>

namespace popsim::io {
namespace fs = std::filesystem;

namespace {

std::string& commandLine() {
  static std::string line = "popsim";
  return line;
}

std::atomic<bool> g_write_failed{false};

// The holder line of a lock file: "pid PID on HOST since TIME: COMMAND".
std::string holderLine() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const std::time_t now = std::time(nullptr);
  char when[32] = {};
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return fmt::format("pid {} on {} since {}: {}\n", ::getpid(), host, when, commandLine());
}

std::string readHolder(int fd) {
  char buffer[1024] = {};
  const auto n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  std::string line(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
  if (const auto end = line.find('\n'); end != std::string::npos) line.resize(end);
  return line.empty() ? std::string("a process that has not yet said who it is") : line;
}

}  // namespace

void setCommandLine(int argc, const char* const* argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) line += ' ';
    line += argv[i];
  }
  commandLine() = line;
}

std::string lockPath(const std::string& output, bool directory) {
  const fs::path p(output);
  if (directory) return (p / ".popsim.lock").string();
  const auto dir = p.parent_path();
  return (dir / fmt::format(".{}.lock", p.filename().string())).string();
}

OutputLock OutputLock::acquire(const std::string& output, bool directory, const std::string& option) {
  const auto path = lockPath(output, directory);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    throw core::InputError(fmt::format("{} {}: cannot create the lock file {}: {}", option, output, path,
                                       std::strerror(errno)));
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  lock.l_len = 0;
  if (::fcntl(fd, F_OFD_SETLK, &lock) != 0) {
    const int error = errno;
    const auto holder = readHolder(fd);
    ::close(fd);
    if (error == EAGAIN || error == EACCES)
      throw core::InputError(fmt::format("{} {}: is being written by another process ({}); wait for it to finish or "
                                         "write elsewhere", option, output, holder));
    throw core::InputError(fmt::format("{} {}: cannot lock {}: {}", option, output, path, std::strerror(error)));
  }
  const auto line = holderLine();
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size())) {
    // The lock holds without the holder line (a full disk): a second writer is still refused.
  }
  return OutputLock(fd);
}

OutputLock& OutputLock::operator=(OutputLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

OutputLock::~OutputLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

std::string writeFailureReason(const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  // The file size limit: SIGXFSZ is ignored (app/main.cpp), so a write past it fails with EFBIG.
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    const auto size = fs::file_size(p, ec);
    if (!ec && size + (std::uintmax_t{1} << 20) >= limit.rlim_cur)
      return fmt::format("{} (the file size limit, ulimit -f, is {} bytes)", std::strerror(EFBIG), limit.rlim_cur);
  }
  const auto dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) == 0) {
    if (vfs.f_flag & ST_RDONLY) return std::strerror(EROFS);
    if (static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize < (std::uint64_t{1} << 20))
      return std::strerror(ENOSPC);
  }
  // A probe write shows what the free-space figures do not (quotas, I/O errors).
  const auto probe = (dir / fmt::format(".popsim-probe-{}", ::getpid())).string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return std::strerror(errno);
  std::vector<char> block(std::size_t{1} << 20, 0);
  std::string reason;
  if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) || ::fsync(fd) != 0)
    reason = std::strerror(errno);
  ::close(fd);
  ::unlink(probe.c_str());
  return reason;
}

std::string writeFailureMessage(const std::string& path, const std::string& detail) {
  const auto reason = writeFailureReason(path);
  return reason.empty() ? fmt::format("writing {}: {}", path, detail) : fmt::format("writing {}: {}", path, reason);
}

namespace {

// The lowest rank of `comm` that failed (size if none). Non-blocking, so that a failing rank can
// give up: after kWriteFailurePatienceSeconds it runs `give_up` (which reports and aborts).
int lowestFailingRank(MPI_Comm comm, bool failed, const std::function<void()>& give_up) {
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int first = failed ? rank : size;
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Iallreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, comm, &request);
  if (!failed) {
    MPI_Wait(&request, MPI_STATUS_IGNORE);
    return first;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(kWriteFailurePatienceSeconds);
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return first;
    if (std::chrono::steady_clock::now() > deadline) give_up();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

[[noreturn]] void abortJob(MPI_Comm comm, const std::string& message) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::fprintf(stderr, "popsim: error: (rank %d) %s\n", rank, message.c_str());
  std::fflush(nullptr);
  MPI_Abort(comm, 1);
  std::_Exit(1);
}

}  // namespace

bool allRanksSucceeded(MPI_Comm comm, bool ok, const std::function<std::string()>& message) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  return lowestFailingRank(comm, !ok, [&] { abortJob(comm, message()); }) == size;
}

void agreeOnWrite(MPI_Comm comm, const std::optional<std::string>& failure, const std::function<void()>& on_failure) {
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const int first = lowestFailingRank(comm, failure.has_value(), [&] {
    if (on_failure) on_failure();
    abortJob(comm, *failure);
  });
  if (first == size) return;
  std::string message = rank == first ? *failure : std::string();
  unsigned long length = message.size();
  MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG, first, comm);
  message.resize(length);
  MPI_Bcast(message.data(), static_cast<int>(length), MPI_CHAR, first, comm);
  g_write_failed = true;
  if (on_failure) on_failure();
  throw core::CollectiveOutputError(message);
}

bool writeFailed() { return g_write_failed; }

}  // namespace popsim::io
