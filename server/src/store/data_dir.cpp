// Data directory creation and the writability probe.
#include "peershare/store/data_dir.hpp"

#include "peershare/store/resource_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace peershare {

void prepare_data_dir(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw store_error("cannot create data directory " + dir.string() + ": " + ec.message());
    if (!fs::is_directory(dir, ec)) throw store_error("data directory " + dir.string() + " is not a directory");

    // The name carries the pid, so two servers started on one directory do not trip over each other.
    auto probe = dir / (".peershare-write-probe-" + std::to_string(::getpid()));
    int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        int err = errno;
        throw store_error("data directory " + dir.string() + " is not writable: " + std::strerror(err));
    }
    ::close(fd);
    ::unlink(probe.c_str());
}

}  // namespace peershare
