// Drives a request flow (flows/) the way a session does, with the test answering each step: the
// steps it asked for, in order, and the outcome it ended with.
#pragma once

#include "peershare/flows/step.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace peershare::test {

inline std::string step_name(const flows::step& s) {
    constexpr const char* names[] = {"store_put", "store_load", "store_get", "directory_join",
                                     "directory_members", "directory_relay", "finish"};
    return names[s.index()];
}

struct driven {
    std::vector<flows::step> steps;  // every step but the finish
    flows::outcome outcome;

    std::vector<std::string> step_names() const {
        std::vector<std::string> out;
        for (const auto& s : steps) out.push_back(step_name(s));
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
        d.steps.push_back(s);
        s = flow.resume(answer(s));
    }
    d.outcome = std::move(std::get<flows::finish>(s).result);
    return d;
}

}  // namespace peershare::test
