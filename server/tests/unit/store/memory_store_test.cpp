// Runs the resource_store contract against the tests' memory store, so the fake the sweeper's tests
// use behaves as the real stores do.
#include "memory_store.hpp"
#include "store_contract.hpp"

namespace peershare::test {
namespace {

INSTANTIATE_TEST_SUITE_P(memory, resource_store_contract,
                         ::testing::Values(store_factory{"memory", [] { return std::make_unique<memory_store>(); }}),
                         store_factory_name);

}  // namespace
}  // namespace peershare::test
