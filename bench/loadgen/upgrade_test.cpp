// Unit tests of the load generator's opening handshake (upgrade.hpp).
#include "upgrade.hpp"

#include <gtest/gtest.h>

#include <string>

namespace peershare::loadgen {
namespace {

TEST(loadgen_upgrade, upgrade_head_is_found_and_checked) {
    EXPECT_FALSE(response_head_length("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"));
    std::string head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
    EXPECT_EQ(response_head_length(head + "\x81\x00"), head.size());
    EXPECT_TRUE(upgrade_accepted(head));
    EXPECT_FALSE(upgrade_accepted("HTTP/1.1 403 Forbidden\r\n\r\n"));
    auto req = upgrade_request("127.0.0.1:8080", "/ws");
    EXPECT_EQ(req.rfind("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n", 0), 0u);
    EXPECT_NE(req.find("Upgrade: websocket\r\n"), std::string::npos);
    EXPECT_TRUE(req.ends_with("\r\n\r\n"));
}

}  // namespace
}  // namespace peershare::loadgen
