// A thin RAII layer over libpq: the connection, results, parameters and transactions. Values are
// always sent as parameters (PQexecParams, text format), never spliced into SQL text; the only SQL
// text is the constants of the storage code.
//
// Not thread-safe: the owner (PostgresStore) serialises every use of a connection.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/storage/sql_values.h"
#include "nexus/core/result.h"

namespace nexus::storage {

struct PgConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct PgResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};

// The error of a failed libpq call. A broken integrity constraint (SQLSTATE class 23) is the
// caller's doing: kBadRequest, "<operation>: <KIND> constraint failed: <name> (<server's
// message>)" with KIND one of FOREIGN KEY, UNIQUE, CHECK, NOT NULL (the words SQLite's messages
// use). Anything else is ours: kInternal, "<operation>: <server's or libpq's message>".
Error pg_error(PGconn* conn, const PGresult* result, std::string_view operation);

// "postgres://user@host:port/dbname" of a connection URL or string: for messages and logs,
// never the password.
std::string redacted_url(const std::string& url);

// The values of one statement's parameters ($1, $2, ... in order): text, or NULL. The shared
// encoders (entity_codec.h) write through it as a ParamWriter.
class PgParams final : public ParamWriter {
 public:
  using ParamWriter::add;
  PgParams& add(std::string_view text) override;
  PgParams& add(const char* text) { return add(std::string_view(text)); }
  PgParams& add(int64_t value) override;
  PgParams& add(bool value) override;
  PgParams& add_null();
  // An optional reference: "" is sent as NULL, so a foreign key does not apply to it.
  PgParams& add_id_or_null(std::string_view id) override;

  [[nodiscard]] size_t size() const { return values_.size(); }
  // Pointers into the values, for PQexecParams: valid while this object lives unchanged.
  [[nodiscard]] std::vector<const char*> pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

// The rows of a successful statement (text format).
class PgRows {
 public:
  explicit PgRows(PGresult* result) : result_(result) {}

  [[nodiscard]] int size() const { return PQntuples(result_.get()); }
  [[nodiscard]] bool empty() const { return size() == 0; }
  // NULL reads as "" (text) or 0 (integers; also text that is not a whole number).
  [[nodiscard]] std::string text(int row, int column) const;
  [[nodiscard]] int64_t int64(int row, int column) const;
  [[nodiscard]] bool boolean(int row, int column) const;  // 't'
  // Rows changed by an INSERT, UPDATE or DELETE.
  [[nodiscard]] int64_t affected() const;

 private:
  friend class PgConnection;  // reads the status of the result it made
  std::unique_ptr<PGresult, PgResultClearer> result_;
};

// One row of a PgRows, as the shared readers (entity_codec.h) see it.
class PgRow final : public RowReader {
 public:
  PgRow(const PgRows& rows, int index) : rows_(&rows), index_(index) {}

  [[nodiscard]] std::string text(int column) const override { return rows_->text(index_, column); }
  [[nodiscard]] int64_t int64(int column) const override { return rows_->int64(index_, column); }
  [[nodiscard]] bool boolean(int column) const override { return rows_->boolean(index_, column); }

 private:
  friend class PgCursor;  // moves the row along
  const PgRows* rows_;
  int index_;
};

// A PgRows read in order, as read_all() (sql_values.h) expects: next(), then row().
class PgCursor {
 public:
  explicit PgCursor(const PgRows& rows) : row_(rows, -1) {}

  Result<bool> next() { return ++row_.index_ < row_.rows_->size(); }
  [[nodiscard]] const RowReader& row() const { return row_; }

 private:
  PgRow row_;
};

class PgConnection {
 public:
  // Connects to `url` (a postgres:// or postgresql:// URL, or a key=value string) and prepares
  // the session. Settings not in the URL: connect_timeout (10 s unless given; `nexus diagnose`
  // passes its --timeout), application_name "nexus".
  static constexpr std::chrono::seconds kConnectTimeout{10};
  static Result<PgConnection> connect(const std::string& url,
                                      std::chrono::seconds connect_timeout = kConnectTimeout);

  // One statement with parameters ($1, ...). `operation` names the caller in error messages.
  Result<PgRows> exec(std::string_view operation, const std::string& sql,
                      const PgParams& params = {});
  // Fixed SQL text, one or several statements, no parameters (migrations, BEGIN, COMMIT).
  Result<void> exec_script(std::string_view operation, const std::string& sql);

  // The server closed the connection, or it broke: reconnect() before using it again.
  [[nodiscard]] bool broken() const;
  // Reconnects with the same settings and prepares the new session.
  Result<void> reconnect();
  [[nodiscard]] bool in_transaction() const;
  [[nodiscard]] const std::string& url() const { return redacted_; }

 private:
  PgConnection(std::string url, std::chrono::seconds connect_timeout, PGconn* conn);
  static PGconn* open(const std::string& url, std::chrono::seconds connect_timeout);
  Result<void> prepare_session();

  std::string url_;       // as configured: may hold a password
  std::string redacted_;  // for messages
  std::chrono::seconds connect_timeout_;
  std::unique_ptr<PGconn, PgConnCloser> conn_;
};

// Runs a SELECT and reads every row with `read` (read_all(), sql_values.h).
template <typename T, typename Read>
Result<std::vector<T>> query_all(PgConnection& conn, std::string_view operation,
                                 const std::string& sql, const PgParams& params, Read read) {
  auto rows = conn.exec(operation, sql, params);
  if (!rows) {
    return std::unexpected(std::move(rows.error()));
  }
  PgCursor cursor(*rows);
  return read_all<T>(cursor, read);
}

// Runs a SELECT of at most one row (a lookup by a unique column) and reads it with `read`.
template <typename T, typename Read>
Result<std::optional<T>> query_one(PgConnection& conn, std::string_view operation,
                                   const std::string& sql, const PgParams& params, Read read) {
  auto rows = conn.exec(operation, sql, params);
  if (!rows) {
    return std::unexpected(std::move(rows.error()));
  }
  PgCursor cursor(*rows);
  return read_one<T>(cursor, read);
}

// BEGIN ... COMMIT, rolled back when destroyed uncommitted (an error on the way, which also
// leaves a PostgreSQL transaction unusable until ROLLBACK).
class PgTransaction {
 public:
  static Result<PgTransaction> begin(PgConnection& conn, std::string_view operation);
  ~PgTransaction();
  PgTransaction(PgTransaction&& other) noexcept;
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  PgTransaction& operator=(PgTransaction&&) = delete;

  Result<void> commit();

 private:
  PgTransaction(PgConnection& conn, std::string_view operation)
      : conn_(&conn), operation_(operation) {}

  PgConnection* conn_;  // null once committed, rolled back or moved from
  std::string_view operation_;
};

}  // namespace nexus::storage
