#include "control/storage/sqlite_db.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <utility>

namespace nexus::storage {

Error sqlite_error(sqlite3* db, int code, std::string_view operation) {
  std::string message(operation);
  message += ": ";
  // The connection's message describes the last failed call; a failed open or a bind error may
  // leave none, so fall back to the code's own text.
  const bool has_message = db != nullptr && sqlite3_errcode(db) != SQLITE_OK;
  message += has_message ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  const bool constraint = (code & 0xff) == SQLITE_CONSTRAINT;
  return {constraint ? ErrorCode::kBadRequest : ErrorCode::kInternal, std::move(message)};
}

Statement::~Statement() {
  if (statement_ != nullptr) {
    reset();
  }
}

void Statement::reset() {
  // sqlite3_reset repeats the last step's error, which step() has already reported.
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
  bind_error_ = SQLITE_OK;
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      statement_(std::exchange(other.statement_, nullptr)),
      operation_(other.operation_),
      bind_error_(other.bind_error_) {}

void Statement::bind(int index, int64_t value) {
  const int code = sqlite3_bind_int64(statement_, index, value);
  if (bind_error_ == SQLITE_OK) {
    bind_error_ = code;
  }
}

void Statement::bind(int index, std::string_view text) {
  const int code = sqlite3_bind_text64(statement_, index, text.data(), text.size(),
                                       SQLITE_TRANSIENT, SQLITE_UTF8);
  if (bind_error_ == SQLITE_OK) {
    bind_error_ = code;
  }
}

void Statement::bind_null(int index) {
  const int code = sqlite3_bind_null(statement_, index);
  if (bind_error_ == SQLITE_OK) {
    bind_error_ = code;
  }
}

void Statement::bind_id_or_null(int index, std::string_view id) {
  if (id.empty()) {
    bind_null(index);
  } else {
    bind(index, id);
  }
}

Result<bool> Statement::step() {
  if (bind_error_ != SQLITE_OK) {
    return std::unexpected(sqlite_error(nullptr, bind_error_, operation_));
  }
  const int code = sqlite3_step(statement_);
  if (code == SQLITE_ROW) {
    return true;
  }
  if (code == SQLITE_DONE) {
    return false;
  }
  return std::unexpected(sqlite_error(db_, code, operation_));
}

Result<void> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) {
      return std::unexpected(std::move(row.error()));
    }
    if (!*row) {
      return {};
    }
  }
}

int64_t Statement::int64(int column) const { return sqlite3_column_int64(statement_, column); }

std::string Statement::text(int column) const {
  const auto* data = sqlite3_column_text(statement_, column);
  if (data == nullptr) {
    return {};
  }
  const int size = sqlite3_column_bytes(statement_, column);
  return {reinterpret_cast<const char*>(data), static_cast<size_t>(size)};
}

bool Statement::boolean(int column) const { return int64(column) != 0; }

StatementParams& StatementParams::add(std::string_view text) {
  statement_.bind(next_++, text);
  return *this;
}

StatementParams& StatementParams::add(int64_t value) {
  statement_.bind(next_++, value);
  return *this;
}

StatementParams& StatementParams::add(bool value) {
  statement_.bind(next_++, int64_t{value ? 1 : 0});
  return *this;
}

StatementParams& StatementParams::add_id_or_null(std::string_view id) {
  statement_.bind_id_or_null(next_++, id);
  return *this;
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

Result<SqliteDb> SqliteDb::open(const std::string& path) {
  // A new database is created readable by its owner only: it holds key hashes, usage and the
  // audit log. (SQLite would create it 0644 less the umask; it accepts an empty file as an empty
  // database, and gives its -wal and -shm files the database's permissions.)
  const int created = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (created >= 0) {
    ::close(created);
  }
  sqlite3* raw = nullptr;
  // NOMUTEX: the owner serialises all use of the connection, SQLite's own lock would be a second.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int code = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqliteDb db(raw);  // closes `raw` on every path, also when opening failed
  if (code != SQLITE_OK) {
    const std::string operation = "open " + path;
    return std::unexpected(sqlite_error(raw, code, operation));
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Result<SqliteDb> SqliteDb::open_read_only(const std::string& path) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
  const int code = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqliteDb db(raw);  // closes `raw` on every path, also when opening failed
  if (code != SQLITE_OK) {
    const std::string operation = "open " + path + " (read-only)";
    return std::unexpected(sqlite_error(raw, code, operation));
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Result<void> SqliteDb::exec(std::string_view operation, const std::string& sql) {
  const int code = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr);
  if (code != SQLITE_OK) {
    return std::unexpected(sqlite_error(db_.get(), code, operation));
  }
  return {};
}

Result<Statement> SqliteDb::prepare(std::string_view operation, const std::string& sql) {
  auto cached = cache_.find(sql);
  if (cached == cache_.end()) {
    sqlite3_stmt* raw = nullptr;
    const int code = sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size() + 1),
                                        SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    std::unique_ptr<sqlite3_stmt, StatementFinalizer> statement(raw);
    if (code != SQLITE_OK) {
      return std::unexpected(sqlite_error(db_.get(), code, operation));
    }
    cached = cache_.emplace(sql, std::move(statement)).first;
  }
  return Statement(db_.get(), cached->second.get(), operation);
}

int64_t SqliteDb::changes() const { return sqlite3_changes64(db_.get()); }

Result<Transaction> Transaction::begin(SqliteDb& db, std::string_view operation) {
  auto statement = db.prepare(operation, "BEGIN IMMEDIATE");
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  auto begun = statement->run();
  if (!begun) {
    return std::unexpected(std::move(begun.error()));
  }
  return Transaction(db, operation);
}

Transaction::~Transaction() {
  // After a failed statement SQLite may already have rolled the transaction back itself.
  if (db_ != nullptr && sqlite3_get_autocommit(db_->handle()) == 0) {
    auto statement = db_->prepare(operation_, "ROLLBACK");
    Result<void> rolled_back = statement ? statement->run() : std::unexpected(statement.error());
    if (!rolled_back) {
      // Rare (the connection is broken): the next BEGIN fails and reports it to its caller.
      spdlog::error("rollback after a failed {}: {}", operation_, rolled_back.error().message());
    }
  }
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), operation_(other.operation_) {}

Result<void> Transaction::commit() {
  auto statement = db_->prepare(operation_, "COMMIT");
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  auto committed = statement->run();
  if (!committed) {
    return committed;  // the destructor rolls back what COMMIT left open
  }
  db_ = nullptr;
  return {};
}

}  // namespace nexus::storage
