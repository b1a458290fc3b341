#include <gtest/gtest.h>

#include "tickets/cursor.hpp"
#include "tickets/ticket_service.hpp"

using namespace helpline;

TEST(Cursor, RoundTripsEverySort) {
  for (auto sort : {TicketSort::kCreatedDesc, TicketSort::kCreatedAsc, TicketSort::kPriorityAsc,
                    TicketSort::kPriorityDesc, TicketSort::kUpdatedAsc, TicketSort::kUpdatedDesc}) {
    TicketCursor c{sort, 1733240000123, 987654321};
    auto decoded = cursor::Decode(cursor::Encode(c));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->sort, sort);
    EXPECT_EQ(decoded->key, c.key);
    EXPECT_EQ(decoded->id, c.id);
  }
}

TEST(Cursor, IsOpaqueAndUrlSafe) {
  auto s = cursor::Encode({TicketSort::kPriorityDesc, 3, 42});
  EXPECT_EQ(s.find_first_of("+/=.&? "), std::string::npos);
}

TEST(Cursor, RefusesGarbage) {
  EXPECT_FALSE(cursor::Decode(""));
  EXPECT_FALSE(cursor::Decode("not a cursor"));
  EXPECT_FALSE(cursor::Decode("djEuLWNyZWF0ZWRfYXQuMC4w"));  // v1.-created_at.0.0: id must be positive
  EXPECT_FALSE(cursor::Decode(std::string(500, 'A')));
  EXPECT_FALSE(cursor::Decode("djIueC4xLjE"));  // wrong version
}

TEST(Cursor, ParsesTheContractSorts) {
  EXPECT_EQ(cursor::ParseSort("-created_at"), TicketSort::kCreatedDesc);
  EXPECT_EQ(cursor::ParseSort("priority"), TicketSort::kPriorityAsc);
  EXPECT_EQ(cursor::ParseSort("-priority"), TicketSort::kPriorityDesc);
  EXPECT_FALSE(cursor::ParseSort("id"));
  EXPECT_FALSE(cursor::ParseSort(""));
}

TEST(FtsQuery, QuotesEveryWordSoNoOperatorGetsThrough) {
  EXPECT_EQ(tickets::FtsQuery("printer jam"), "\"printer\" \"jam\"");
  EXPECT_EQ(tickets::FtsQuery("a OR b NEAR(c)"), "\"a\" \"OR\" \"b\" \"NEAR\" \"c\"");
  EXPECT_EQ(tickets::FtsQuery("\"quoted\" -minus *star"), "\"quoted\" \"minus\" \"star\"");
  EXPECT_EQ(tickets::FtsQuery("  !!! "), "");
  EXPECT_EQ(tickets::FtsQuery("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
}
