// The bulkhead's bookkeeping: the connection limit, the bounded FIFO queue, slots promised to
// the oldest waiter, and nothing leaked by waiters that give up.
#include "proxy/upstream/connection_slots.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <vector>

#include "proxy/upstream/upstream_connection.h"

namespace nexus::proxy {
namespace {

using Grant = ConnectionSlots::Waiter::Grant;

class ConnectionSlotsTest : public ::testing::Test {
 protected:
  std::unique_ptr<UpstreamConnection> open(size_t endpoint = 0) {
    return std::make_unique<UpstreamConnection>(net::tcp::socket(io_), nullptr, endpoint, slots_);
  }
  std::unique_ptr<ConnectionSlots::Waiter> wait(size_t endpoint = 0) {
    return std::make_unique<ConnectionSlots::Waiter>(slots_, endpoint, [this] { ++wakes_; });
  }

  boost::asio::io_context io_;
  std::shared_ptr<ConnectionSlots> slots_ = std::make_shared<ConnectionSlots>(2, 2);
  int wakes_ = 0;
};

TEST_F(ConnectionSlotsTest, ConnectionsCountAgainstTheLimit) {
  auto first = open();
  EXPECT_TRUE(slots_->has_room());
  auto second = open();
  EXPECT_FALSE(slots_->has_room());
  EXPECT_EQ(slots_->open(), 2U);
  second.reset();
  EXPECT_TRUE(slots_->has_room());
  EXPECT_EQ(slots_->open(), 1U);
}

TEST_F(ConnectionSlotsTest, TheQueueIsBoundedByMaxPending) {
  auto a = open();
  auto b = open();
  ASSERT_TRUE(slots_->can_queue());
  auto first = wait();
  ASSERT_TRUE(slots_->can_queue());
  auto second = wait();
  EXPECT_FALSE(slots_->can_queue());
  EXPECT_EQ(slots_->waiting(), 2U);
  first.reset();  // gave up (timeout, client gone): leaves the queue
  EXPECT_TRUE(slots_->can_queue());
  EXPECT_EQ(slots_->waiting(), 1U);
}

TEST_F(ConnectionSlotsTest, AClosedConnectionsSlotGoesToTheOldestWaiterOnly) {
  auto a = open();
  auto b = open();
  auto first = wait();
  auto second = wait();
  a.reset();
  EXPECT_EQ(first->grant(), Grant::kSlot);
  EXPECT_EQ(second->grant(), Grant::kNone);
  EXPECT_EQ(wakes_, 1);  // no thundering herd
  // The slot is promised: a request arriving now finds no room and cannot overtake.
  EXPECT_FALSE(slots_->has_room());
  ASSERT_TRUE(first->claim_slot());
  auto opened = open();
  EXPECT_FALSE(slots_->has_room());
  EXPECT_EQ(slots_->waiting(), 1U);
  b.reset();
  EXPECT_EQ(second->grant(), Grant::kSlot);
}

TEST_F(ConnectionSlotsTest, AConnectionHandedOverGoesToTheOldestWaiter) {
  auto a = open();
  auto b = open();
  auto first = wait();
  auto second = wait();
  UpstreamConnection* handed = a.get();
  ASSERT_EQ(slots_->oldest(), first.get());
  slots_->hand_over(std::move(a));
  EXPECT_EQ(first->grant(), Grant::kConnection);
  EXPECT_EQ(slots_->oldest(), second.get());
  auto taken = first->take_connection();
  EXPECT_EQ(taken.get(), handed);
  EXPECT_EQ(first->grant(), Grant::kNone);
  EXPECT_EQ(slots_->open(), 2U);
}

TEST_F(ConnectionSlotsTest, AnUnusedSlotPassesToTheNextWaiter) {
  auto a = open();
  auto b = open();
  auto first = wait();
  auto second = wait();
  a.reset();
  ASSERT_EQ(first->grant(), Grant::kSlot);
  first.reset();  // timed out just as the slot came: the slot is not lost
  EXPECT_EQ(second->grant(), Grant::kSlot);
  ASSERT_TRUE(second->claim_slot());
  auto opened = open();
  EXPECT_EQ(slots_->open(), 2U);
  EXPECT_EQ(slots_->waiting(), 0U);
}

TEST_F(ConnectionSlotsTest, AnUnusedConnectionIsClosedAndItsSlotPassesOn) {
  auto a = open();
  auto b = open();
  auto first = wait();
  auto second = wait();
  slots_->hand_over(std::move(a));
  first.reset();  // the client left before using it
  EXPECT_EQ(slots_->open(), 1U);
  EXPECT_EQ(second->grant(), Grant::kSlot);
}

TEST_F(ConnectionSlotsTest, NothingLeaksWhenEveryoneGivesUp) {
  auto a = open();
  auto b = open();
  std::vector<std::unique_ptr<ConnectionSlots::Waiter>> waiters;
  waiters.push_back(wait());
  waiters.push_back(wait());
  a.reset();
  waiters.clear();
  b.reset();
  EXPECT_EQ(slots_->open(), 0U);
  EXPECT_EQ(slots_->waiting(), 0U);
  EXPECT_TRUE(slots_->has_room());
  auto c = open();
  auto d = open();
  EXPECT_FALSE(slots_->has_room());  // exactly the limit again: no promise left behind
}

TEST_F(ConnectionSlotsTest, ClaimingWithoutAGrantFails) {
  auto a = open();
  auto b = open();
  auto first = wait();
  EXPECT_FALSE(first->claim_slot());
  EXPECT_EQ(first->take_connection(), nullptr);
}

TEST(ConnectionSlots, NoQueueWithoutMaxPending) {
  ConnectionSlots slots(1, 0);
  EXPECT_FALSE(slots.can_queue());
}

}  // namespace
}  // namespace nexus::proxy
