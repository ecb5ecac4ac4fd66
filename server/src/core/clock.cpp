// Unix seconds from the system clock (core/clock.hpp).
#include "peershare/core/clock.hpp"

#include <chrono>

namespace peershare {

std::int64_t unix_now() {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace peershare
