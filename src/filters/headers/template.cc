#include "filters/headers/template.h"

#include <algorithm>
#include <array>
#include <utility>

#include "http/filter/request_slots.h"
#include "http/http1/syntax.h"

namespace nexus::filters {
namespace {

constexpr std::array<std::pair<std::string_view, Attribute>, 7> kAttributes = {{
    {"client_ip", Attribute::kClientIp},
    {"request_id", Attribute::kRequestId},
    {"method", Attribute::kMethod},
    {"path", Attribute::kPath},
    {"host", Attribute::kHost},
    {"route", Attribute::kRoute},
    {"identity", Attribute::kIdentity},
}};
constexpr std::string_view kHeaderPrefix = "header:";

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return (byte < 0x20 && byte != '\t') || byte == 0x7f;
}

std::expected<ValueTemplate::Part, std::string> attribute_part(std::string_view name) {
  for (const auto& [known, attribute] : kAttributes) {
    if (name == known) {
      return ValueTemplate::Part{.attribute = attribute, .text = {}};
    }
  }
  if (name.starts_with(kHeaderPrefix)) {
    std::string header(name.substr(kHeaderPrefix.size()));
    if (!http1::syntax::is_token(header)) {
      return std::unexpected("'%{" + std::string(name) + "}' does not name a header");
    }
    std::ranges::transform(header, header.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ValueTemplate::Part{.attribute = Attribute::kHeader, .text = std::move(header)};
  }
  std::string known;
  for (const auto& entry : kAttributes) {
    known += std::string(entry.first) + ", ";
  }
  return std::unexpected("unknown attribute '%{" + std::string(name) + "}' (expected one of " +
                         known + "header:NAME)");
}

}  // namespace

std::expected<ValueTemplate, std::string> ValueTemplate::parse(std::string_view text) {
  if (std::ranges::any_of(text, is_control)) {
    return std::unexpected("control characters (CR, LF, ...) are not allowed in a header value");
  }
  ValueTemplate out;
  std::string literal;
  size_t i = 0;
  while (i < text.size()) {
    const size_t percent = text.find('%', i);
    if (percent == std::string_view::npos || percent + 1 == text.size()) {
      literal.append(text.substr(i));
      break;
    }
    literal.append(text.substr(i, percent - i));
    const char next = text[percent + 1];
    if (next == '%') {
      literal.push_back('%');
      i = percent + 2;
    } else if (next == '{') {
      const size_t close = text.find('}', percent + 2);
      if (close == std::string_view::npos) {
        return std::unexpected("unterminated '%{' (write %% for a literal %)");
      }
      auto part = attribute_part(text.substr(percent + 2, close - percent - 2));
      if (!part) {
        return std::unexpected(std::move(part.error()));
      }
      if (!literal.empty()) {
        out.parts_.push_back({.attribute = Attribute::kLiteral, .text = std::move(literal)});
        literal.clear();
      }
      out.parts_.push_back(std::move(*part));
      i = close + 1;
    } else {
      literal.push_back('%');
      i = percent + 1;
    }
  }
  if (!literal.empty()) {
    out.parts_.push_back({.attribute = Attribute::kLiteral, .text = std::move(literal)});
  }
  return out;
}

namespace {

std::string_view header_value(const ValueTemplate::HeaderSource& source, const std::string& name) {
  if (source.live != nullptr) {
    return source.live->get(name);
  }
  for (size_t i = 0; i < source.captured_names.size() && i < source.captured.size(); ++i) {
    if (source.captured_names[i] == name) {
      return source.captured[i];
    }
  }
  return {};
}

std::string_view attribute_value(filter::Context& ctx, const ValueTemplate::Part& part,
                                 const ValueTemplate::HeaderSource& headers) {
  switch (part.attribute) {
    case Attribute::kLiteral:
      return part.text;
    case Attribute::kClientIp:
      return ctx.client_ip();
    case Attribute::kRequestId: {
      const std::string_view* id = ctx.slots().get(filter::kRequestId);
      return id != nullptr ? std::string_view(*id) : std::string_view();
    }
    case Attribute::kMethod:
      return ctx.request().method;
    case Attribute::kPath:
      return ctx.request().path();
    case Attribute::kHost:
      return ctx.request().host;
    case Attribute::kRoute:
      return ctx.request().route;
    case Attribute::kIdentity: {
      const filter::Identity* identity = ctx.slots().get(filter::kIdentity);
      return identity != nullptr ? std::string_view(identity->subject) : std::string_view();
    }
    case Attribute::kHeader:
      return header_value(headers, part.text);
  }
  return {};
}

}  // namespace

std::string ValueTemplate::expand(filter::Context& ctx, const HeaderSource& headers) const {
  std::string out;
  for (const Part& part : parts_) {
    for (const char c : attribute_value(ctx, part, headers)) {
      if (!is_control(c)) {
        out.push_back(c);
      }
    }
  }
  const size_t first = out.find_first_not_of(" \t");
  if (first == std::string::npos) {
    return {};
  }
  out.erase(out.find_last_not_of(" \t") + 1);
  out.erase(0, first);
  return out;
}

}  // namespace nexus::filters
