#include "obs/log_format.h"

#include <fmt/chrono.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

namespace nexus::obs {
namespace {

constexpr std::string_view kReplacement = "\xef\xbf\xbd";  // U+FFFD

// The length of the valid UTF-8 sequence starting at `at`, or 0 if it is not one (overlong
// forms, surrogates and code points past U+10FFFF are invalid too).
size_t utf8_sequence_length(std::string_view text, size_t at) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(at);
  size_t length = 0;
  uint32_t min = 0;
  uint32_t code = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    min = 0x80;
    code = lead & 0x1fU;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    min = 0x800;
    code = lead & 0x0fU;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    min = 0x10000;
    code = lead & 0x07U;
  } else {
    return 0;
  }
  if (text.size() - at < length) {
    return 0;
  }
  for (size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xc0U) != 0x80) {
      return 0;
    }
    code = (code << 6U) | (byte(at + i) & 0x3fU);
  }
  const bool surrogate = code >= 0xd800 && code <= 0xdfff;
  return code < min || surrogate || code > 0x10ffff ? 0 : length;
}

// The names logging.level takes (spdlog's own say "warning" and "err" in places).
std::string_view level_name(spdlog::level::level_enum level) {
  static constexpr std::array<std::string_view, 7> kNames = {"trace", "debug",    "info", "warn",
                                                             "error", "critical", "off"};
  const auto index = static_cast<size_t>(level);
  return index < kNames.size() ? kNames[index] : "info";
}

// Splits the structured logger's message into its fields fragment and its text.
void split_fields(const spdlog::details::log_msg& msg, std::string_view& fields,
                  std::string_view& text) {
  text = std::string_view(msg.payload.data(), msg.payload.size());
  fields = {};
  if (msg.logger_name != kFieldsLoggerName) {
    return;
  }
  const size_t separator = text.find(kFieldsSeparator);
  if (separator == std::string_view::npos) {
    return;
  }
  fields = text.substr(0, separator);
  text.remove_prefix(separator + 1);
}

// Query parameters whose values are credentials (compared without case): Gemini's and Google's
// `key`, OAuth's `access_token`, and the names APIs commonly give keys, secrets and signatures.
constexpr std::array<std::string_view, 12> kSecretParameters = {
    "key",  "api_key", "apikey",   "api-key",       "access_token", "token",
    "auth", "secret",  "password", "client_secret", "signature",    "sig"};

bool is_secret_parameter(std::string_view name) {
  return std::ranges::any_of(kSecretParameters, [name](std::string_view secret) {
    return std::ranges::equal(name, secret, [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == b;
    });
  });
}

}  // namespace

void assign_redacted_target(std::string& out, std::string_view target) {
  const size_t query = target.find('?');
  if (query == std::string_view::npos) {
    out.assign(target);
    return;
  }
  out.assign(target.substr(0, query + 1));
  std::string_view rest = target.substr(query + 1);
  while (true) {
    const size_t end = std::min(rest.find('&'), rest.size());
    const std::string_view parameter = rest.substr(0, end);
    const size_t equals = parameter.find('=');
    if (equals != std::string_view::npos && is_secret_parameter(parameter.substr(0, equals))) {
      out.append(parameter.substr(0, equals + 1));
      out.append("REDACTED");
    } else {
      out.append(parameter);
    }
    if (end == rest.size()) {
      return;
    }
    out.push_back('&');
    rest.remove_prefix(end + 1);
  }
}

void append_json_string(std::string& out, std::string_view value) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  out.push_back('"');
  size_t at = 0;
  while (at < value.size()) {
    const auto byte = static_cast<uint8_t>(value[at]);
    if (byte >= 0x80) {
      const size_t length = utf8_sequence_length(value, at);
      if (length == 0) {
        out.append(kReplacement);
        ++at;
      } else {
        out.append(value.substr(at, length));
        at += length;
      }
      continue;
    }
    switch (byte) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          out.append("\\u00");
          out.push_back(kHex[byte >> 4U]);
          out.push_back(kHex[byte & 0xfU]);
        } else {
          out.push_back(static_cast<char>(byte));
        }
    }
    ++at;
  }
  out.push_back('"');
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  using std::chrono::duration_cast;
  const auto since_epoch = msg.time.time_since_epoch();
  const auto second = std::chrono::floor<std::chrono::seconds>(since_epoch);
  if (second != cached_second_) {  // calendar formatting once per second, not per line
    cached_second_ = second;
    cached_prefix_ = fmt::format("{:%Y-%m-%dT%H:%M:%S}", std::chrono::sys_seconds(second));
  }
  const auto millis = duration_cast<std::chrono::milliseconds>(since_epoch - second).count();
  std::string_view fields;
  std::string_view text;
  split_fields(msg, fields, text);

  line_.clear();
  line_.append(R"({"ts":")");
  line_.append(cached_prefix_);
  line_.push_back('.');
  line_.push_back(static_cast<char>('0' + millis / 100));
  line_.push_back(static_cast<char>('0' + millis / 10 % 10));
  line_.push_back(static_cast<char>('0' + millis % 10));
  line_.append(R"(Z","level":")");
  line_.append(level_name(msg.level));
  line_.append(R"(","msg":)");
  append_json_string(line_, text);
  line_.append(fields);
  line_.append("}\n");
  dest.append(line_.data(), line_.data() + line_.size());
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

TextLogFormatter::TextLogFormatter()
    : pattern_(std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v")) {}

void TextLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  std::string_view fields;
  std::string_view text;
  split_fields(msg, fields, text);
  if (fields.empty()) {
    spdlog::details::log_msg plain = msg;
    plain.payload = spdlog::string_view_t(text.data(), text.size());
    pattern_->format(plain, dest);
    return;
  }
  // The fields as a JSON object after the message: `{"request_id":"..."}`.
  text_.assign(text);
  text_.append(" {");
  text_.append(fields.substr(1));  // without the leading comma
  text_.push_back('}');
  spdlog::details::log_msg with_fields = msg;
  with_fields.payload = spdlog::string_view_t(text_.data(), text_.size());
  pattern_->format(with_fields, dest);
}

std::unique_ptr<spdlog::formatter> TextLogFormatter::clone() const {
  return std::make_unique<TextLogFormatter>();
}

}  // namespace nexus::obs
