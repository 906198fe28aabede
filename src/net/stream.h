// A TCP connection, optionally inside TLS, usable wherever Asio wants an AsyncReadStream /
// AsyncWriteStream. The TLS choice is a runtime branch per operation instead of a template
// parameter, so connection code is written once for both.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <memory>
#include <utility>

namespace nexus::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SysError = boost::system::error_code;

class Stream {
 public:
  using executor_type = tcp::socket::executor_type;
  using TlsStream = asio::ssl::stream<tcp::socket&>;

  explicit Stream(tcp::socket socket) : socket_(std::move(socket)) {}
  Stream(tcp::socket socket, asio::ssl::context& tls)
      : socket_(std::move(socket)), tls_(std::make_unique<TlsStream>(socket_, tls)) {}

  // tls_ refers to socket_: the object must stay where it is.
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  tcp::socket& socket() { return socket_; }
  TlsStream* tls() { return tls_.get(); }
  [[nodiscard]] bool is_tls() const { return tls_ != nullptr; }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(SysError, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          if (tls_) {
            tls_->async_read_some(b, std::move(handler));
          } else {
            socket_.async_read_some(b, std::move(handler));
          }
        },
        token, buffers);
  }

  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(SysError, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          if (tls_) {
            tls_->async_write_some(b, std::move(handler));
          } else {
            socket_.async_write_some(b, std::move(handler));
          }
        },
        token, buffers);
  }

  // Closes the socket now; pending operations complete with operation_aborted.
  void close() {
    SysError ignored;
    socket_.close(ignored);
  }

 private:
  tcp::socket socket_;
  std::unique_ptr<TlsStream> tls_;
};

}  // namespace nexus::net
