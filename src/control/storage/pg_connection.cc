#include "control/storage/pg_connection.h"

#include <spdlog/spdlog.h>

#include <array>
#include <charconv>
#include <utility>

namespace nexus::storage {
namespace {

// SQLSTATE class 23, integrity constraint violation: the words SQLite's messages use, so that a
// message reads the same whichever store wrote it.
std::string_view constraint_kind(std::string_view state) {
  if (state == "23503") {
    return "FOREIGN KEY";
  }
  if (state == "23505") {
    return "UNIQUE";
  }
  if (state == "23514") {
    return "CHECK";
  }
  if (state == "23502") {
    return "NOT NULL";
  }
  return "integrity";
}

std::string_view trimmed(const char* text) {
  std::string_view view = text == nullptr ? std::string_view() : std::string_view(text);
  while (!view.empty() && (view.back() == '\n' || view.back() == ' ')) {
    view.remove_suffix(1);
  }
  return view;
}

void log_notice(void* /*unused*/, const char* message) {
  spdlog::debug("PostgreSQL: {}", trimmed(message));
}

std::string_view field(const PGresult* result, int code) {
  return result == nullptr ? std::string_view() : trimmed(PQresultErrorField(result, code));
}

}  // namespace

Error pg_error(PGconn* conn, const PGresult* result, std::string_view operation) {
  std::string message(operation);
  message += ": ";
  const std::string_view state = field(result, PG_DIAG_SQLSTATE);
  std::string_view primary = field(result, PG_DIAG_MESSAGE_PRIMARY);
  if (primary.empty()) {
    // No result (the connection broke) or no server message: libpq's own says why. Its first
    // line is the reason; what follows is advice ("before or while processing the request").
    primary = trimmed(PQerrorMessage(conn));
    primary = primary.substr(0, primary.find('\n'));
  }
  if (state.starts_with("23")) {
    message += constraint_kind(state);
    message += " constraint failed: ";
    message += field(result, PG_DIAG_CONSTRAINT_NAME);
    message += " (";
    message += primary;
    message += ")";
    return {ErrorCode::kBadRequest, std::move(message)};
  }
  message += primary.empty() ? std::string_view("unknown PostgreSQL error") : primary;
  return {ErrorCode::kInternal, std::move(message)};
}

std::string redacted_url(const std::string& url) {
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &parse_error);
  PQfreemem(parse_error);
  if (options == nullptr) {
    return "postgres://(unparsable URL)";
  }
  std::string user;
  std::string host;
  std::string port;
  std::string dbname;
  for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    const std::string_view keyword = option->keyword;
    const std::string value = option->val == nullptr ? std::string() : option->val;
    if (keyword == "user") {
      user = value;
    } else if (keyword == "host") {
      host = value;
    } else if (keyword == "port") {
      port = value;
    } else if (keyword == "dbname") {
      dbname = value;
    }
  }
  PQconninfoFree(options);
  std::string redacted = "postgres://";
  if (!user.empty()) {
    redacted += user;
    redacted += "@";
  }
  redacted += host;
  if (!port.empty()) {
    redacted += ":";
    redacted += port;
  }
  redacted += "/";
  redacted += dbname;
  return redacted;
}

PgParams& PgParams::add(std::string_view text) {
  values_.emplace_back(std::string(text));
  return *this;
}

PgParams& PgParams::add(int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}

PgParams& PgParams::add(bool value) {
  values_.emplace_back(value ? "true" : "false");
  return *this;
}

PgParams& PgParams::add_null() {
  values_.emplace_back(std::nullopt);
  return *this;
}

PgParams& PgParams::add_id_or_null(std::string_view id) {
  return id.empty() ? add_null() : add(id);
}

std::vector<const char*> PgParams::pointers() const {
  std::vector<const char*> pointers;
  pointers.reserve(values_.size());
  for (const std::optional<std::string>& value : values_) {
    pointers.push_back(value ? value->c_str() : nullptr);
  }
  return pointers;
}

std::string PgRows::text(int row, int column) const {
  if (PQgetisnull(result_.get(), row, column) != 0) {
    return {};
  }
  return {PQgetvalue(result_.get(), row, column),
          static_cast<size_t>(PQgetlength(result_.get(), row, column))};
}

int64_t PgRows::int64(int row, int column) const {
  const char* value = PQgetvalue(result_.get(), row, column);
  const char* end = value + PQgetlength(result_.get(), row, column);
  int64_t parsed = 0;
  std::from_chars(value, end, parsed);  // NULL is "": stays 0
  return parsed;
}

bool PgRows::boolean(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) == 0 &&
         *PQgetvalue(result_.get(), row, column) == 't';
}

int64_t PgRows::affected() const {
  const char* count = PQcmdTuples(result_.get());
  int64_t parsed = 0;
  std::from_chars(count, count + std::char_traits<char>::length(count), parsed);
  return parsed;
}

PgConnection::PgConnection(std::string url, std::chrono::seconds connect_timeout, PGconn* conn)
    : url_(std::move(url)),
      redacted_(redacted_url(url_)),
      connect_timeout_(connect_timeout),
      conn_(conn) {}

PGconn* PgConnection::open(const std::string& url, std::chrono::seconds connect_timeout) {
  // Later keywords win over earlier ones, and the URL (expanded from "dbname") comes last: what
  // the URL sets is kept, these are only defaults.
  const std::array<const char*, 4> keywords = {"connect_timeout", "fallback_application_name",
                                               "dbname", nullptr};
  const std::string timeout = std::to_string(connect_timeout.count());
  const std::array<const char*, 4> values = {timeout.c_str(), "nexus", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords.data(), values.data(), 1);
  if (conn != nullptr) {
    // The server's notices ("relation ... already exists, skipping" from a migration) go to our
    // log at debug level, not to stderr, where libpq prints them by default.
    PQsetNoticeProcessor(conn, log_notice, nullptr);
  }
  return conn;
}

Result<PgConnection> PgConnection::connect(const std::string& url,
                                           std::chrono::seconds connect_timeout) {
  // closes the PGconn on every path
  PgConnection connection(url, connect_timeout, open(url, connect_timeout));
  if (connection.conn_ == nullptr) {
    return fail(ErrorCode::kInternal, "connect: libpq could not allocate a connection");
  }
  if (PQstatus(connection.conn_.get()) != CONNECTION_OK) {
    return std::unexpected(pg_error(connection.conn_.get(), nullptr, "connect"));
  }
  if (auto prepared = connection.prepare_session(); !prepared) {
    return std::unexpected(std::move(prepared.error()));
  }
  return connection;
}

Result<void> PgConnection::prepare_session() {
  // Durability: a commit must wait for its WAL to reach the disk. Every setting but `off` does
  // (`local`, `remote_write`, `on`, `remote_apply`); a database or role configured with `off`
  // is overridden for this session, a stronger setting kept.
  auto current = exec("read synchronous_commit", "SHOW synchronous_commit");
  if (!current) {
    return std::unexpected(std::move(current.error()));
  }
  if (!current->empty() && current->text(0, 0) == "off") {
    return exec_script("set synchronous_commit", "SET synchronous_commit = on");
  }
  return {};
}

Result<PgRows> PgConnection::exec(std::string_view operation, const std::string& sql,
                                  const PgParams& params) {
  const std::vector<const char*> values = params.pointers();
  PgRows rows(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                           values.data(), nullptr, nullptr, 0));
  const PGresult* result = rows.result_.get();
  const ExecStatusType status = result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return std::unexpected(pg_error(conn_.get(), result, operation));
  }
  return rows;
}

Result<void> PgConnection::exec_script(std::string_view operation, const std::string& sql) {
  const PgRows rows(PQexec(conn_.get(), sql.c_str()));
  const PGresult* result = rows.result_.get();
  const ExecStatusType status = result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return std::unexpected(pg_error(conn_.get(), result, operation));
  }
  return {};
}

bool PgConnection::broken() const { return PQstatus(conn_.get()) == CONNECTION_BAD; }

bool PgConnection::in_transaction() const {
  return PQtransactionStatus(conn_.get()) != PQTRANS_IDLE;
}

Result<void> PgConnection::reconnect() {
  conn_.reset(open(url_, connect_timeout_));
  if (conn_ == nullptr) {
    return fail(ErrorCode::kInternal, "reconnect: libpq could not allocate a connection");
  }
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    return std::unexpected(pg_error(conn_.get(), nullptr, "reconnect"));
  }
  return prepare_session();
}

Result<PgTransaction> PgTransaction::begin(PgConnection& conn, std::string_view operation) {
  if (auto begun = conn.exec_script(operation, "BEGIN"); !begun) {
    return std::unexpected(std::move(begun.error()));
  }
  return PgTransaction(conn, operation);
}

PgTransaction::~PgTransaction() {
  if (conn_ != nullptr && !conn_->broken() && conn_->in_transaction()) {
    auto rolled_back = conn_->exec_script(operation_, "ROLLBACK");
    if (!rolled_back) {
      // Rare (the connection broke meanwhile): the store reconnects before its next use.
      spdlog::error("rollback after a failed {}: {}", operation_, rolled_back.error().message());
    }
  }
}

PgTransaction::PgTransaction(PgTransaction&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)), operation_(other.operation_) {}

Result<void> PgTransaction::commit() {
  auto committed = conn_->exec_script(operation_, "COMMIT");
  if (!committed) {
    return committed;  // the destructor rolls back what COMMIT left open
  }
  conn_ = nullptr;
  return {};
}

}  // namespace nexus::storage
