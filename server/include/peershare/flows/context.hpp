// What every request flow works with besides its request: this instance's tracker (swarms and
// negotiations, in memory), the limits, and the one fact it needs about the swarm directory.
#pragma once

#include "peershare/core/limits.hpp"
#include "peershare/core/tracker.hpp"

namespace peershare::flows {

struct context {
    tracker& swarms;
    const limits& lim;
    // swarm_directory::spans_instances(): a signal to a peer that is no member here may be for a
    // member on another instance.
    bool spans_instances = false;
};

}  // namespace peershare::flows
