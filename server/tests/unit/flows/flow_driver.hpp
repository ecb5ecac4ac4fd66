// Drives a request flow (flows/) the way a session does, with the test answering each step: the
// steps it asked for, in order, and the outcome it ended with.
#pragma once

#include "peershare/flows/step.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace peershare::test {

inline std::string step_name(const flows::step& s) {
    constexpr const char* names[] = {"store_put", "store_load", "store_get", "directory_join",
                                     "directory_members", "directory_relay", "finish"};
    return names[s.index()];
}

// A step as the test saw it, with copies of what it named (a step refers into its flow, which may
// be gone by the time the test looks).
struct recorded_step {
    std::string name;
    std::optional<resource_id> resource;  // the share a store or directory step is about
    std::optional<peer_id> peer;          // directory_join
    bool complete = false;                // directory_join
    std::string metadata;                 // store_put
    std::optional<cluster::signal_envelope> envelope;  // directory_relay
};

inline recorded_step record(const flows::step& s) {
    recorded_step r;
    r.name = step_name(s);
    if (const auto* put = std::get_if<flows::store_put>(&s)) {
        r.resource = put->id.get();
        r.metadata = std::string(put->metadata);
    } else if (const auto* load = std::get_if<flows::store_load>(&s)) {
        r.resource = load->id.get();
    } else if (const auto* get = std::get_if<flows::store_get>(&s)) {
        r.resource = get->id.get();
    } else if (const auto* join = std::get_if<flows::directory_join>(&s)) {
        r.resource = join->resource.get();
        r.peer = join->peer.get();
        r.complete = join->complete;
    } else if (const auto* members = std::get_if<flows::directory_members>(&s)) {
        r.resource = members->id.get();
    } else if (const auto* relay = std::get_if<flows::directory_relay>(&s)) {
        r.envelope = relay->envelope.get();
    }
    return r;
}

struct driven {
    std::vector<recorded_step> steps;  // every step but the finish
    flows::outcome outcome;

    std::vector<std::string> step_names() const {
        std::vector<std::string> out;
        for (const auto& s : steps) out.push_back(s.name);
        return out;
    }
    // The reply as JSON (null when there is none).
    nlohmann::json reply() const { return outcome.reply.empty() ? nlohmann::json() : nlohmann::json::parse(outcome.reply); }
};

using responder = std::function<flows::result(const flows::step&)>;

// A responder for flows that must finish without asking for anything.
inline flows::result no_steps(const flows::step& s) {
    ADD_FAILURE() << "unexpected step " << step_name(s);
    return flows::unavailable{"unexpected"};
}

template <class Flow>
driven drive(Flow& flow, const responder& answer = no_steps) {
    driven d;
    flows::step s = flow.start();
    for (int guard = 0; !std::holds_alternative<flows::finish>(s); ++guard) {
        if (guard == 16) {
            ADD_FAILURE() << "the flow did not finish within 16 steps";
            return d;
        }
        d.steps.push_back(record(s));
        s = flow.resume(answer(s));
    }
    d.outcome = std::move(std::get<flows::finish>(s).result);
    return d;
}

}  // namespace peershare::test
