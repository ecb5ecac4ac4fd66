// The wall clock the server stores times by: Unix seconds (created and last_seen of shares, TURN
// credential expiry). The pure parts take times as arguments; only the network layer reads this.
#pragma once

#include <cstdint>

namespace peershare {

std::int64_t unix_now();

}  // namespace peershare
