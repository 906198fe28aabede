// What the store's shared code (entity_codec.h) sees of a SQL database: one row of a result,
// read column by column, and the parameters of one statement, written in order. The SQLite
// layer (sqlite_db.h: Statement, StatementParams) and the libpq layer (pg_connection.h: PgRow,
// PgParams) implement them, so each entity is decoded and encoded once for both stores.
//
// Virtual calls, not templates: the store is control-plane code (and the ledger writer's
// thread), where a call per column is nothing next to the database's own work.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "nexus/core/result.h"

namespace nexus::storage {

// One row of a SELECT's result. Columns are numbered from 0, in the SELECT's order. Valid while
// the statement or result it reads from is.
class RowReader {
 public:
  virtual ~RowReader() = default;

  [[nodiscard]] virtual std::string text(int column) const = 0;  // NULL reads as ""
  [[nodiscard]] virtual int64_t int64(int column) const = 0;     // NULL reads as 0
  [[nodiscard]] virtual bool boolean(int column) const = 0;      // NULL reads as false

 protected:
  RowReader() = default;
  RowReader(const RowReader&) = default;
  RowReader(RowReader&&) = default;
  RowReader& operator=(const RowReader&) = default;
  RowReader& operator=(RowReader&&) = default;
};

// The values of one statement's parameters, in order: the first add() is parameter 1 (?1, $1).
class ParamWriter {
 public:
  virtual ~ParamWriter() = default;

  virtual ParamWriter& add(std::string_view text) = 0;
  virtual ParamWriter& add(int64_t value) = 0;
  virtual ParamWriter& add(bool value) = 0;
  // An optional reference: "" is written as NULL, so a foreign key does not apply to it.
  virtual ParamWriter& add_id_or_null(std::string_view id) = 0;
  // A literal would otherwise convert to bool, not to text.
  ParamWriter& add(const char* text) { return add(std::string_view(text)); }

 protected:
  ParamWriter() = default;
  ParamWriter(const ParamWriter&) = default;
  ParamWriter(ParamWriter&&) = default;
  ParamWriter& operator=(const ParamWriter&) = default;
  ParamWriter& operator=(ParamWriter&&) = default;
};

// Reads every row of `rows` with `read`, in order. `rows` is a statement or result being read:
// `Result<bool> next()` moves to the next row (false: no more), `const RowReader& row()` is it.
// `read` returns a T, or a Result<T> whose error ends the reading.
template <typename T, typename Rows, typename Read>
Result<std::vector<T>> read_all(Rows& rows, Read read) {
  std::vector<T> items;
  for (;;) {
    auto more = rows.next();
    if (!more) {
      return std::unexpected(std::move(more.error()));
    }
    if (!*more) {
      return items;
    }
    auto item = read(rows.row());
    if constexpr (std::is_same_v<decltype(item), T>) {
      items.push_back(std::move(item));
    } else {
      if (!item) {
        return std::unexpected(std::move(item.error()));
      }
      items.push_back(std::move(*item));
    }
  }
}

// The first row read with `read`, or nullopt when there is none (a lookup by a unique column).
template <typename T, typename Rows, typename Read>
Result<std::optional<T>> read_one(Rows& rows, Read read) {
  auto items = read_all<T>(rows, read);
  if (!items) {
    return std::unexpected(std::move(items.error()));
  }
  if (items->empty()) {
    return std::nullopt;
  }
  return std::move(items->front());
}

}  // namespace nexus::storage
