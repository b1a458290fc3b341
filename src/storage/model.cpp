#include "storage/model.hpp"

namespace helpline {

int PriorityRank(std::string_view priority) {
  if (priority == "low") return 0;
  if (priority == "normal") return 1;
  if (priority == "high") return 2;
  if (priority == "urgent") return 3;
  return -1;
}

}  // namespace helpline
