#include "attachments/file_store.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace helpline {

namespace {
void WriteAllAndSync(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) throw std::runtime_error("cannot create " + path);
  std::size_t done = 0;
  while (done < data.size()) {
    auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      ::close(fd);
      throw std::runtime_error("cannot write " + path);
    }
    done += static_cast<std::size_t>(n);
  }
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot sync " + path);
}

void SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}
}  // namespace

FileStore::FileStore(std::string root) : root_(std::move(root)) { fs::create_directories(root_); }

bool FileStore::IsValidName(std::string_view name) {
  // "xx/" + 32 hex + "." + ext (+ optional "-t" thumb marker before the dot)
  if (name.size() < 3 + 32 + 4 || name[2] != '/') return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'g' && c <= 'z') || c == '.' || c == '-' ||
              (i == 2 && c == '/');
    if (!ok) return false;
  }
  return name.find("..") == std::string_view::npos;
}

std::string FileStore::Write(std::string_view data, std::string_view extension) {
  unsigned char bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  char hex[33];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  std::string name = std::string(hex, 2) + "/" + hex + "." + std::string(extension);
  auto dir = root_ + "/" + std::string(hex, 2);
  fs::create_directories(dir);
  auto final_path = root_ + "/" + name;
  auto tmp_path = final_path + ".tmp";
  WriteAllAndSync(tmp_path, data);
  fs::rename(tmp_path, final_path);
  SyncDir(dir);
  return name;
}

std::optional<std::string> FileStore::Read(std::string_view name) const {
  if (!IsValidName(name)) return std::nullopt;
  std::ifstream in(root_ + "/" + std::string(name), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

void FileStore::Remove(std::string_view name) {
  if (!IsValidName(name)) return;
  std::error_code ec;
  fs::remove(root_ + "/" + std::string(name), ec);
}

int FileStore::SweepOrphans(const std::unordered_set<std::string>& keep, std::chrono::seconds min_age) {
  int removed = 0;
  auto cutoff = fs::file_time_type::clock::now() - min_age;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root_, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file()) continue;
    auto rel = fs::relative(it->path(), root_).generic_string();
    if (!keep.contains(rel)) {
      std::error_code rm;
      if (min_age.count() > 0) {
        auto written = fs::last_write_time(it->path(), rm);
        if (rm || written > cutoff) continue;  // young: perhaps another node's upload about to commit
      }
      if (fs::remove(it->path(), rm)) ++removed;
    }
  }
  return removed;
}

}  // namespace helpline
