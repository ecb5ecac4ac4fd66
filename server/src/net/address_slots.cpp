// Per-address connection counting (address_slots.hpp).
#include "address_slots.hpp"

namespace peershare::net {

std::unique_ptr<address_slots::slot> address_slots::acquire(const std::shared_ptr<address_slots>& self,
                                                            const asio::ip::address& a) {
    std::lock_guard lock(self->mutex_);
    auto& n = self->counts_[a];
    if (n >= self->max_) {
        if (n == 0) self->counts_.erase(a);
        return nullptr;
    }
    ++n;
    return std::make_unique<slot>(self, a);
}

void address_slots::release(const asio::ip::address& a) {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(a);
    if (it != counts_.end() && --it->second == 0) counts_.erase(it);
}

}  // namespace peershare::net
