// Delivery to live sessions, and closing them all (session_registry.hpp).
#include "session_registry.hpp"

#include "websocket_session.hpp"

#include <vector>

namespace peershare::net {

void session_registry::add(const peer_id& id, std::weak_ptr<websocket_session> session) {
    std::lock_guard lock(mutex_);
    sessions_.emplace(id, std::move(session));
}

void session_registry::remove(const peer_id& id) {
    std::function<void()> drained;
    {
        std::lock_guard lock(mutex_);
        sessions_.erase(id);
        if (drained_ && sessions_.empty()) drained = std::exchange(drained_, nullptr);
    }
    if (drained) drained();
}

void session_registry::deliver(outbox&& out) {
    if (out.empty()) return;
    std::vector<std::pair<std::shared_ptr<websocket_session>, outbound*>> targets;
    targets.reserve(out.size());
    {
        std::lock_guard lock(mutex_);
        for (auto& o : out) {
            auto it = sessions_.find(o.to);
            if (it == sessions_.end()) continue;
            if (auto s = it->second.lock()) targets.emplace_back(std::move(s), &o);
        }
    }
    // Send outside the lock: a session's send only queues, but never hold the registry while doing it.
    for (auto& [session, o] : targets) session->send(std::move(o->text), o->type);
}

void session_registry::close_all(websocket::close_code code, std::function<void()> drained) {
    std::vector<std::shared_ptr<websocket_session>> live;
    bool none_open = false;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, weak] : sessions_)
            if (auto s = weak.lock()) live.push_back(std::move(s));
        none_open = sessions_.empty();
        if (!none_open) drained_ = std::move(drained);
    }
    if (none_open && drained) drained();
    for (auto& s : live) s->close(code);
}

std::size_t session_registry::size() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

}  // namespace peershare::net
