// A thin RAII layer over SQLite's C API: the connection, prepared statements (prepared once and
// cached for the connection's life) and transactions. Values are always bound, never spliced into
// SQL text; the only SQL text is the constants of the storage code.
//
// Not thread-safe: the owner (SqliteStore) serialises every use of a connection.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "control/storage/sql_values.h"
#include "nexus/core/result.h"

namespace nexus::storage {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};

// The error of a failed SQLite call: "<operation>: <SQLite's message>". A broken constraint
// (unique, foreign key, check) is the caller's doing (kBadRequest); anything else is ours
// (kInternal).
Error sqlite_error(sqlite3* db, int code, std::string_view operation);

// One execution of a cached prepared statement. Reset (and its bindings cleared) when destroyed,
// so the cached statement is ready for the next use. Text is bound as a copy (SQLITE_TRANSIENT):
// callers may bind temporaries. After a step() that found a row, the statement is that row
// (RowReader), and read_all() (sql_values.h) reads a statement through next() and row().
class Statement final : public RowReader {
 public:
  Statement(sqlite3* db, sqlite3_stmt* statement, std::string_view operation)
      : db_(db), statement_(statement), operation_(operation) {}
  ~Statement() override;
  Statement(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;

  // Parameters are numbered from 1, as in SQL ("?1").
  void bind(int index, int64_t value);
  void bind(int index, std::string_view text);
  void bind(int index, const char* text) { bind(index, std::string_view(text)); }
  void bind_null(int index);
  // An optional reference: "" is stored as NULL, so a foreign key does not apply to it.
  void bind_id_or_null(int index, std::string_view id);

  // One step: true when a row is ready, false when the statement is done.
  Result<bool> step();
  // Steps to the end, for statements that return no rows.
  Result<void> run();
  // Ready for another execution with new bindings (a statement run in a loop).
  void reset();

  [[nodiscard]] int64_t int64(int column) const override;
  [[nodiscard]] std::string text(int column) const override;  // NULL reads as ""
  [[nodiscard]] bool boolean(int column) const override;      // a non-zero integer
  [[nodiscard]] bool is_null(int column) const;

  // For read_all(): step(), and this statement as the row it stepped to.
  Result<bool> next() { return step(); }
  [[nodiscard]] const RowReader& row() const { return *this; }

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_;  // owned by the connection's cache
  std::string_view operation_;
  int bind_error_ = SQLITE_OK;  // the first failed bind, reported by step()
};

// read_all() and read_one() (sql_values.h) of a statement just prepared and bound: the error of
// its preparation, or its rows.
template <typename T, typename Read>
Result<std::vector<T>> read_all_prepared(Result<Statement>& statement, Read read) {
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  return read_all<T>(*statement, read);
}

template <typename T, typename Read>
Result<std::optional<T>> read_one_prepared(Result<Statement>& statement, Read read) {
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  return read_one<T>(*statement, read);
}

// Binds a statement's parameters in order, from ?1: the shared encoders (entity_codec.h) write
// through it. Booleans are stored as the integers 1 and 0.
class StatementParams final : public ParamWriter {
 public:
  explicit StatementParams(Statement& statement) : statement_(statement) {}

  using ParamWriter::add;
  StatementParams& add(std::string_view text) override;
  StatementParams& add(int64_t value) override;
  StatementParams& add(bool value) override;
  StatementParams& add_id_or_null(std::string_view id) override;

 private:
  Statement& statement_;
  int next_ = 1;
};

class SqliteDb {
 public:
  // Opens the database file, creating it (mode 0600) if missing. Nothing else: PRAGMAs and
  // migrations are the caller's.
  static Result<SqliteDb> open(const std::string& path);
  // Opens an existing database file for reading only: never creates it nor writes to it (what
  // `nexus diagnose` looks at a running gateway's database with).
  static Result<SqliteDb> open_read_only(const std::string& path);

  // Runs fixed SQL text, one or several statements, returning no rows (PRAGMAs, migrations).
  Result<void> exec(std::string_view operation, const std::string& sql);
  // The statement for `sql`, prepared at first use and kept. `operation` names the caller in
  // error messages and must outlive the returned Statement (a literal).
  Result<Statement> prepare(std::string_view operation, const std::string& sql);
  // Rows changed by the last INSERT, UPDATE or DELETE.
  [[nodiscard]] int64_t changes() const;
  [[nodiscard]] sqlite3* handle() const { return db_.get(); }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}

  std::unique_ptr<sqlite3, SqliteCloser> db_;  // declared first: closed after the statements
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, StatementFinalizer>> cache_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back when destroyed uncommitted (an error on the way).
// IMMEDIATE takes the write lock at once, so a transaction never fails half-way for want of it.
class Transaction {
 public:
  static Result<Transaction> begin(SqliteDb& db, std::string_view operation);
  ~Transaction();
  Transaction(Transaction&& other) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;

  Result<void> commit();

 private:
  Transaction(SqliteDb& db, std::string_view operation) : db_(&db), operation_(operation) {}

  SqliteDb* db_;  // null once committed, rolled back or moved from
  std::string_view operation_;
};

}  // namespace nexus::storage
