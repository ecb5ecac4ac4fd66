// ICE server selection (core/ice_servers.hpp).
#include "peershare/core/ice_servers.hpp"

#include "peershare/core/turn_credentials.hpp"

#include <nlohmann/json.hpp>

namespace peershare {

ice_config ice_for(const ice_settings& settings, std::string_view host, std::string_view peer, std::int64_t now) {
    ice_config out;
    out.transport_policy = settings.relay_only ? "relay" : "all";
    nlohmann::json list = nlohmann::json::array();
    std::vector<std::string> stun = settings.stun_servers;
    if (settings.stun && !host.empty())
        stun.insert(stun.begin(), "stun:" + std::string(host) + ":" + std::to_string(settings.stun_port));
    if (!stun.empty()) list.push_back({{"urls", stun}});
    if (!settings.turn_urls.empty()) {
        auto c = mint_turn_credentials(settings.turn_secret, peer, now, settings.turn_ttl.count());
        list.push_back({{"urls", settings.turn_urls}, {"username", c.username}, {"credential", c.credential}});
        out.expires = c.expires;
    }
    out.servers_json = list.dump();
    return out;
}

}  // namespace peershare
