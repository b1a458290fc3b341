#pragma once
// Screenshot files on disk under server-made names ("3f/3fa9...e1.png"); the
// uploaded file name is never part of a path. Writes are durable before the
// database row that names them is committed; files with no row are orphans,
// removed at start-up.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace helpline {

class FileStore {
 public:
  explicit FileStore(std::string root);

  // Writes and fsyncs `data` under a new random name; returns the name.
  std::string Write(std::string_view data, std::string_view extension);
  std::optional<std::string> Read(std::string_view name) const;
  void Remove(std::string_view name);
  // Deletes every file whose name is not in `keep` (and any temporary file) and that was
  // last written at least `min_age` ago. Returns how many.
  int SweepOrphans(const std::unordered_set<std::string>& keep, std::chrono::seconds min_age = std::chrono::seconds(0));

  // True when `name` has exactly the shape Write makes, so it cannot point elsewhere.
  static bool IsValidName(std::string_view name);

 private:
  std::string root_;
};

}  // namespace helpline
