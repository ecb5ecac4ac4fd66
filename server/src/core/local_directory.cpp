// The directory of one instance: its tracker (core/swarm_directory.hpp).
#include "peershare/core/swarm_directory.hpp"

#include "peershare/core/tracker.hpp"

namespace peershare {

std::vector<member_view> local_directory::members(const resource_id& resource) { return tracker_.members(resource); }

}  // namespace peershare
