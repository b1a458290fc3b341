// The whole transition table: every from, every to, every kind of actor.
#include <gtest/gtest.h>

#include <map>
#include <tuple>

#include "tickets/state_machine.hpp"

using namespace helpline;
using namespace helpline::tickets;

namespace {
const User kCustomer{1, "c@x.io", "Cara", "customer", 0};
const User kItsAgent{2, "a@x.io", "Ann", "agent", 0};
const User kOtherAgent{3, "b@x.io", "Ben", "agent", 0};

enum class Want { kAllowed, kNoop, kForbidden, kInvalid };

TicketAccess At(const std::string& status) {
  // open tickets have no agent; the others are Ann's
  return TicketAccess{10, kCustomer.id, status == "open" ? std::nullopt : std::optional<std::int64_t>(kItsAgent.id),
                      status, "normal"};
}
}  // namespace

TEST(StateMachine, TheWholeTable) {
  const std::vector<std::string> statuses = {"open", "in_progress", "resolved", "closed"};
  // (from, to) -> {customer, its agent, other agent}; anything not listed is invalid for all.
  using W = Want;
  std::map<std::pair<std::string, std::string>, std::tuple<W, W, W>> table = {
      {{"open", "in_progress"}, {W::kForbidden, W::kAllowed, W::kAllowed}},  // any agent claims an open ticket
      {{"open", "closed"}, {W::kAllowed, W::kAllowed, W::kAllowed}},         // any agent may close spam
      {{"in_progress", "open"}, {W::kForbidden, W::kAllowed, W::kForbidden}},
      {{"in_progress", "resolved"}, {W::kForbidden, W::kAllowed, W::kForbidden}},
      {{"in_progress", "closed"}, {W::kAllowed, W::kAllowed, W::kForbidden}},
      {{"resolved", "in_progress"}, {W::kAllowed, W::kAllowed, W::kForbidden}},
      {{"resolved", "closed"}, {W::kAllowed, W::kAllowed, W::kForbidden}},
  };
  for (const auto& from : statuses) {
    for (const auto& to : statuses) {
      std::tuple<W, W, W> want{W::kInvalid, W::kInvalid, W::kInvalid};
      if (from == to) want = {W::kNoop, W::kNoop, W::kNoop};
      else if (auto it = table.find({from, to}); it != table.end()) want = it->second;
      const User* actors[] = {&kCustomer, &kItsAgent, &kOtherAgent};
      W wants[] = {std::get<0>(want), std::get<1>(want), std::get<2>(want)};
      for (int i = 0; i < 3; ++i) {
        SCOPED_TRACE(from + " -> " + to + " by " + actors[i]->name);
        auto r = Decide(At(from), *actors[i], to);
        switch (wants[i]) {
          case W::kAllowed:
            ASSERT_TRUE(r);
            ASSERT_TRUE(r->has_value());
            EXPECT_EQ((*r)->to, to);
            break;
          case W::kNoop:
            ASSERT_TRUE(r);
            EXPECT_FALSE(r->has_value());
            break;
          case W::kForbidden:
            ASSERT_FALSE(r);
            EXPECT_EQ(r.error().code, Code::kForbidden);
            break;
          case W::kInvalid:
            ASSERT_FALSE(r);
            EXPECT_EQ(r.error().code, Code::kInvalidTransition);
            break;
        }
      }
    }
  }
}

TEST(StateMachine, ClaimAndReleaseMoveTheAssignee) {
  auto claim = Decide(At("open"), kOtherAgent, "in_progress");
  ASSERT_TRUE(claim && *claim);
  EXPECT_EQ((*claim)->assign, Assign::kActor);
  auto release = Decide(At("in_progress"), kItsAgent, "open");
  ASSERT_TRUE(release && *release);
  EXPECT_EQ((*release)->assign, Assign::kNobody);
}

TEST(StateMachine, UnknownStatusIsAValidationError) {
  auto r = Decide(At("open"), kItsAgent, "done");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kValidationFailed);
  EXPECT_EQ(r.error().field, "status");
}

TEST(StateMachine, AllowedStatusesFollowTheTable) {
  using V = std::vector<std::string>;
  EXPECT_EQ(AllowedStatuses(At("open"), kCustomer), V{"closed"});
  EXPECT_EQ(AllowedStatuses(At("open"), kOtherAgent), (V{"in_progress", "closed"}));
  EXPECT_EQ(AllowedStatuses(At("in_progress"), kItsAgent), (V{"open", "resolved", "closed"}));
  EXPECT_EQ(AllowedStatuses(At("in_progress"), kOtherAgent), V{});
  EXPECT_EQ(AllowedStatuses(At("resolved"), kCustomer), (V{"in_progress", "closed"}));
  EXPECT_EQ(AllowedStatuses(At("closed"), kItsAgent), V{});
}
