// The resource_store contract (store/resource_store.hpp) as a value-parameterized GoogleTest suite, so every
// implementation runs the same checks. The tests are in store_contract.cpp (linked once into the test binary);
// an implementation's test file includes this header and instantiates the suite with a factory that returns a
// fresh, empty store on every call:
//
//   INSTANTIATE_TEST_SUITE_P(sqlite, resource_store_contract,
//                            ::testing::Values(store_factory{"sqlite", make_fresh_sqlite_store}),
//                            store_factory_name);
//
// Times are Unix seconds passed in by the caller, so nothing here waits or reads a clock.
#pragma once

#include "peershare/store/resource_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

namespace peershare::test {

struct store_factory {
    std::string name;  // names the instantiation in test output
    std::function<std::unique_ptr<resource_store>()> make;  // a fresh, empty store on every call

    friend void PrintTo(const store_factory& f, std::ostream* os) { *os << f.name; }
};

inline std::string store_factory_name(const ::testing::TestParamInfo<store_factory>& info) { return info.param.name; }

class resource_store_contract : public ::testing::TestWithParam<store_factory> {
protected:
    void SetUp() override {
        store = GetParam().make();
        ASSERT_NE(store, nullptr);
    }

    // Metadata bytes are opaque to the store; these include NUL and high bytes on purpose.
    static std::string metadata(int n) { return std::string("PSH1\0\xff", 6) + "share-" + std::to_string(n); }
    static resource_id id_of(int n) { return resource_id::of_metadata(metadata(n)); }
    bool put(int n, std::int64_t now) { return store->put(id_of(n), metadata(n), now); }
    std::int64_t last_seen(int n) {
        auto r = store->get(id_of(n));
        EXPECT_TRUE(r.has_value()) << "share " << n;
        return r ? r->last_seen : -1;
    }
    std::int64_t created(int n) {
        auto r = store->get(id_of(n));
        EXPECT_TRUE(r.has_value()) << "share " << n;
        return r ? r->created : -1;
    }

    std::unique_ptr<resource_store> store;
};

}  // namespace peershare::test
