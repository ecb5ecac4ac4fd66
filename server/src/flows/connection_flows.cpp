// A connection's welcome, ICE refresh, leave and disconnect (flows/connection_flows.hpp).
#include "peershare/flows/connection_flows.hpp"

namespace peershare::flows {

std::string welcome(const peer_id& self, const ice_settings& ice, std::string_view host, const limits& lim,
                    std::int64_t now) {
    auto servers = ice_for(ice, host, self.str(), now);
    return signaling::write_welcome(self, {servers.servers_json, servers.transport_policy, servers.expires}, lim);
}

outcome ice_refresh(const peer_id& self, const signaling::request_id& id, const ice_settings& ice,
                    std::string_view host, std::int64_t now) {
    auto servers = ice_for(ice, host, self.str(), now);
    outcome o;
    o.reply = signaling::write_ice_servers(id, {servers.servers_json, servers.transport_policy, servers.expires});
    o.reply_type = signaling::server_type::ice_servers;
    return o;
}

outcome leave(const context& ctx, const peer_id& self, const signaling::request_id& id,
              const signaling::leave& request) {
    auto left = ctx.swarms.leave(self, request.resource);
    if (left.error != errc::ok) return error_outcome(left.error, id);
    outcome o;
    o.reply = signaling::write_left(id, request.resource);
    o.reply_type = signaling::server_type::left;
    o.deliveries = std::move(left.out);
    o.directory_leaves.push_back(request.resource);
    if (left.emptied) o.emptied.push_back(request.resource);
    return o;
}

outcome disconnect(const context& ctx, const peer_id& self) {
    auto gone = ctx.swarms.disconnect(self);
    outcome o;
    o.deliveries = std::move(gone.out);
    o.directory_leaves = std::move(gone.left);
    o.emptied = std::move(gone.emptied);
    return o;
}

}  // namespace peershare::flows
