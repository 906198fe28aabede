// Constants shared by the client connection's files.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <string_view>

namespace nexus::server {

// Every wait returns its error code as a value (no exceptions across the coroutines).
inline constexpr auto kAwait = boost::asio::as_tuple(boost::asio::use_awaitable);
// Free space wanted in a receive buffer before each read.
inline constexpr size_t kReadChunk = size_t{16} * 1024;
// A body chunk in flight is at most this big: memory per connection stays bounded however fast
// one side is and however slow the other.
inline constexpr size_t kMaxBodyBuffer = size_t{64} * 1024;
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace nexus::server
