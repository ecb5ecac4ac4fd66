// Helpers shared by the request flows (flows/step.hpp).
#include "peershare/flows/step.hpp"

#include "peershare/core/encoding.hpp"

namespace peershare::flows {

outcome error_outcome(errc code, const signaling::request_id& id, std::string_view message) {
    outcome o;
    o.error = code;
    o.reply = signaling::write_error(code, message.empty() ? describe(code) : message, id);
    o.reply_type = signaling::server_type::error;
    return o;
}

swarm_info info_of(std::string_view metadata, const limits& lim) {
    swarm_info info;
    info.metadata_size = metadata.size();
    if (base64_length(metadata.size()) <= lim.max_inline_metadata)
        info.metadata_base64 = std::make_shared<const std::string>(to_base64(metadata));
    return info;
}

}  // namespace peershare::flows
