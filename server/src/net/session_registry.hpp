// The live signaling connections of this instance by peer id: where the tracker's outboxes are
// delivered (relays and pushes, from any thread), and what the shutdown closes. It holds weak
// pointers: a session's life is its own.
#pragma once

#include "beast.hpp"

#include "peershare/core/ids.hpp"
#include "peershare/core/tracker.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace peershare::net {

class websocket_session;

class session_registry {
public:
    void add(const peer_id& id, std::weak_ptr<websocket_session> session);
    void remove(const peer_id& id);

    // Hands each message to its recipient's session (which queues it on its own executor);
    // messages for connections that are gone are dropped.
    void deliver(outbox&& out);

    // Closes every session with `code`; `drained` runs once, when the last session is removed (at
    // once when there is none). A session that opens meanwhile closes itself (it sees the shutdown)
    // and counts towards "the last".
    void close_all(boost::beast::websocket::close_code code, std::function<void()> drained);

    std::size_t size() const;

private:
    mutable std::mutex mutex_;
    std::unordered_map<peer_id, std::weak_ptr<websocket_session>> sessions_;
    std::function<void()> drained_;  // set while closing all; under mutex_
};

}  // namespace peershare::net
