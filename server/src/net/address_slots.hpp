// WebSocket connections per client address (--max-connections-per-ip). Shared by the service and
// every session's slot, so a session destroyed after the service (at shutdown) can still release
// its slot.
#pragma once

#include "beast.hpp"

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>

namespace peershare::net {

class address_slots {
public:
    explicit address_slots(std::size_t max_per_address) : max_(max_per_address) {}

    // A held slot; released when destroyed.
    class slot {
    public:
        slot(std::shared_ptr<address_slots> owner, asio::ip::address a) : owner_(std::move(owner)), address_(std::move(a)) {}
        ~slot() { owner_->release(address_); }
        slot(const slot&) = delete;
        slot& operator=(const slot&) = delete;
        const asio::ip::address& address() const noexcept { return address_; }

    private:
        std::shared_ptr<address_slots> owner_;
        asio::ip::address address_;
    };

    // A slot for `a`, or nullptr when the address is at its limit.
    static std::unique_ptr<slot> acquire(const std::shared_ptr<address_slots>& self, const asio::ip::address& a);

private:
    void release(const asio::ip::address& a);

    std::mutex mutex_;
    const std::size_t max_;
    std::map<asio::ip::address, std::size_t> counts_;  // ordered: Asio addresses have no std::hash
};

}  // namespace peershare::net
