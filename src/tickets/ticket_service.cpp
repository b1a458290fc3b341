#include "tickets/ticket_service.hpp"

#include <cctype>
#include <charconv>

#include "attachments/image.hpp"
#include "core/text.hpp"
#include "tickets/cursor.hpp"

namespace helpline::tickets {

std::string FtsQuery(std::string_view q) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (char c : q) {
    auto u = static_cast<unsigned char>(c);
    // Letters, digits and any non-ASCII byte belong to words; everything else separates them.
    if (std::isalnum(u) || u >= 0x80) word += c;
    else flush();
  }
  flush();
  std::string out;
  for (std::size_t i = 0; i < words.size() && i < 16; ++i) {
    if (!out.empty()) out += ' ';
    out += '"' + words[i] + '"';
  }
  return out;
}

namespace {

// Undoes everything a file part made, unless released: nothing stays behind a failed create.
class WrittenFiles {
 public:
  explicit WrittenFiles(FileStore& files) : files_(files) {}
  ~WrittenFiles() {
    for (const auto& n : names_) files_.Remove(n);
  }
  std::string Write(std::string_view data, std::string_view ext) {
    names_.push_back(files_.Write(data, ext));
    return names_.back();
  }
  void Release() { names_.clear(); }

 private:
  FileStore& files_;
  std::vector<std::string> names_;
};

Result<std::string> TextField(const std::unordered_map<std::string, std::string_view>& fields, const char* name,
                              std::size_t max, bool required = true) {
  auto it = fields.find(name);
  std::string value = it == fields.end() ? std::string() : text::Trim(it->second);
  if (value.empty()) {
    if (!required) return value;
    return Fail(Code::kValidationFailed, std::string(name) + " is required.", name);
  }
  if (!text::CodePoints(value)) return Fail(Code::kValidationFailed, std::string(name) + " is not valid UTF-8.", name);
  if (!text::LengthWithin(value, 1, max))
    return Fail(Code::kValidationFailed,
                std::string(name) + " must be at most " + std::to_string(max) + " characters long.", name);
  return value;
}

std::string DisplayFilename(const std::optional<std::string>& raw) {
  // Kept for display only. Strip any path a browser sent and bound the length.
  std::string name = raw.value_or("screenshot");
  auto slash = name.find_last_of("/\\");
  if (slash != std::string::npos) name = name.substr(slash + 1);
  if (!text::CodePoints(name) || name.empty()) return "screenshot";
  if (name.size() > 255) {
    // Keep the end (the extension), starting on a code point boundary.
    std::size_t start = name.size() - 255;
    while (start < name.size() && (static_cast<unsigned char>(name[start]) & 0xC0) == 0x80) ++start;
    name = name.substr(start);
  }
  return name;
}

}  // namespace

Result<Ticket> TicketService::Create(const User& customer, const std::vector<multipart::Part>& parts) {
  std::unordered_map<std::string, std::string_view> fields;
  std::vector<const multipart::Part*> files;
  for (const auto& p : parts) {
    if (p.name == "screenshots") {
      if (p.filename && p.data.empty() && p.filename->empty()) continue;  // an empty file input
      files.push_back(&p);
    } else if (!p.filename) {
      fields[p.name] = p.data;
    }
  }
  auto subject = TextField(fields, "subject", 200);
  if (!subject) return Unexpected(subject.error());
  auto description = TextField(fields, "description", 10000);
  if (!description) return Unexpected(description.error());
  auto category = TextField(fields, "category", 100);
  if (!category) return Unexpected(category.error());
  if (!config_.HasCategory(*category)) return Fail(Code::kValidationFailed, "Choose one of the categories.", "category");
  auto priority = TextField(fields, "priority", 20, false);
  if (!priority) return Unexpected(priority.error());
  if (priority->empty()) *priority = "normal";
  if (PriorityRank(*priority) < 0)
    return Fail(Code::kValidationFailed, "Priority must be low, normal, high or urgent.", "priority");

  if (static_cast<int>(files.size()) < config_.min_screenshots)
    return Fail(Code::kValidationFailed, "Add at least one screenshot (PNG or JPEG).", "screenshots");
  if (static_cast<int>(files.size()) > config_.max_screenshots)
    return Fail(Code::kValidationFailed, "Add at most 3 screenshots.", "screenshots");

  // Decode and clean every file before writing any: a bad third file stores nothing.
  std::vector<images::Processed> processed;
  for (const auto* f : files) {
    if (f->data.size() > config_.max_file_bytes)
      return Fail(Code::kTooLarge, "Each screenshot must be at most 4 MB.", "screenshots");
    auto img = images::Process(f->data);
    if (!img) {
      metrics_.uploads_rejected.fetch_add(1);
      auto e = img.error();
      e.message = DisplayFilename(f->filename) + ": " + e.message;
      return Unexpected(e);
    }
    processed.push_back(std::move(*img));
  }

  WrittenFiles written(files_);
  std::vector<NewAttachment> attachments;
  for (std::size_t i = 0; i < processed.size(); ++i) {
    auto& img = processed[i];
    NewAttachment a;
    a.filename = DisplayFilename(files[i]->filename);
    a.content_type = img.content_type;
    a.size = static_cast<std::int64_t>(img.data.size());
    a.width = img.width;
    a.height = img.height;
    a.stored_name = written.Write(img.data, img.extension);
    a.thumb_name = written.Write(img.thumb_data, img.extension);
    a.thumb_content_type = img.thumb_content_type;
    attachments.push_back(std::move(a));
  }
  auto ticket = store_.CreateTicket(NewTicket{customer.id, *subject, *description, *category, *priority}, attachments);
  written.Release();  // committed: the files now belong to the ticket
  metrics_.tickets_created.fetch_add(1);
  return ticket;
}

Result<TicketPage> TicketService::List(const User& viewer, const std::unordered_map<std::string, std::string>& query) {
  TicketQuery q;
  q.viewer_id = viewer.id;
  q.viewer_is_agent = viewer.role == "agent";
  auto get = [&](const char* key) -> std::string {
    auto it = query.find(key);
    return it == query.end() ? std::string() : it->second;
  };

  if (auto s = get("status"); !s.empty()) {
    std::size_t start = 0;
    while (start <= s.size()) {
      auto end = s.find(',', start);
      auto one = text::Trim(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (one != "open" && one != "in_progress" && one != "resolved" && one != "closed")
        return Fail(Code::kValidationFailed, "status must be a comma list of open, in_progress, resolved, closed.",
                    "status");
      q.statuses.push_back(one);
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  if (auto a = get("assignee"); !a.empty()) {
    if (a != "me" && a != "none" && a != "any")
      return Fail(Code::kValidationFailed, "assignee must be me, none or any.", "assignee");
    q.assignee = a;
  }
  q.category = get("category");
  if (query.contains("customer")) {
    auto c = get("customer");
    std::int64_t id = 0;
    auto [p, ec] = std::from_chars(c.data(), c.data() + c.size(), id);
    if (ec != std::errc() || p != c.data() + c.size() || id <= 0)
      return Fail(Code::kValidationFailed, "customer must be a user id.", "customer");
    q.customer_id = id;
  }
  if (auto text_query = get("q"); !text_query.empty()) {
    if (!text::LengthWithin(text_query, 1, 200))
      return Fail(Code::kValidationFailed, "q must be at most 200 characters.", "q");
    q.fts_query = FtsQuery(text_query);
  }
  if (auto s = get("sort"); !s.empty()) {
    auto sort = cursor::ParseSort(s);
    if (!sort)
      return Fail(Code::kValidationFailed,
                  "sort must be one of created_at, -created_at, priority, -priority, updated_at, -updated_at.", "sort");
    q.sort = *sort;
  }
  if (query.contains("limit")) {
    auto l = get("limit");
    int v = 0;
    auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), v);
    if (ec != std::errc() || p != l.data() + l.size() || v < 1 || v > 100)
      return Fail(Code::kValidationFailed, "limit must be a number from 1 to 100.", "limit");
    q.limit = v;
  }
  if (query.contains("cursor")) {
    auto c = cursor::Decode(get("cursor"));
    if (!c || c->sort != q.sort) return Fail(Code::kBadRequest, "The cursor is not valid for this list.", "cursor");
    q.after = c;
  }
  return store_.ListTickets(q);
}

Result<Ticket> TicketService::Get(const User& viewer, std::int64_t id) {
  auto t = store_.GetTicket(id, viewer.id);
  // Another customer's ticket answers exactly like a missing one: no enumeration.
  if (!t || !MayView(viewer, t->customer.id)) return Fail(Code::kNotFound, "No such ticket.");
  return std::move(*t);
}

Result<FileBytes> TicketService::AttachmentFile(const User& viewer, std::int64_t attachment_id, bool thumb) {
  auto a = store_.GetAttachment(attachment_id);
  if (!a || !MayView(viewer, a->customer_id)) return Fail(Code::kNotFound, "No such attachment.");
  auto bytes = files_.Read(thumb ? a->attachment.thumb_name : a->attachment.stored_name);
  if (!bytes) return Fail(Code::kNotFound, "The file is missing.");
  return FileBytes{thumb ? a->attachment.thumb_content_type : a->attachment.content_type, std::move(*bytes)};
}

}  // namespace helpline::tickets
