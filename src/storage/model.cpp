#include "storage/model.hpp"

namespace helpline {

int PriorityRank(std::string_view priority) {
  if (priority == "low") return 0;
  if (priority == "normal") return 1;
  if (priority == "high") return 2;
  if (priority == "urgent") return 3;
  return -1;
}

void EndPage(TicketPage& page, const TicketQuery& q) {
  if (static_cast<int>(page.items.size()) <= q.limit) return;
  page.items.resize(static_cast<std::size_t>(q.limit));
  const auto& last = page.items.back();
  page.next = TicketCursor{q.sort, SortKey(q.sort, last), last.id};
}

std::int64_t SortKey(TicketSort sort, const Ticket& t) {
  switch (sort) {
    case TicketSort::kPriorityAsc:
    case TicketSort::kPriorityDesc: return PriorityRank(t.priority);
    case TicketSort::kUpdatedAsc:
    case TicketSort::kUpdatedDesc: return t.updated_at;
    default: return 0;
  }
}

}  // namespace helpline
